"""The typed-endpoint workload, written idiomatically for each framework.

One JSON endpoint: ``POST /items/{item_id}?q=...&limit=...`` with a 10-field
body model, validated and echoed back with the path and query values. Each
framework validates the same model (pydantic v2 for fastcore and FastAPI;
Litestar uses pydantic too, through its plugin) and answers the same JSON.
"""

from __future__ import annotations

import datetime
import decimal
import enum
from typing import Annotated, Any

import pydantic
from fastapi import FastAPI
from fastapi import Query as FastAPIQuery
from litestar import Litestar, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from pydantic import BaseModel, Field

from fastcore import App, Query, Request
from fastcore.responses import JSONResponse


class Status(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Item(BaseModel):
    """The 10-field body model."""

    name: str = Field(max_length=100)
    description: str | None = None
    price: decimal.Decimal
    tax: float | None = None
    quantity: int = Field(ge=0)
    tags: list[str] = []
    status: Status = Status.DRAFT
    available: bool = True
    created: datetime.date
    attributes: dict[str, str] = {}


BODY = (
    b'{"name":"Widget","description":"A useful widget","price":"12.50","tax":1.5,'
    b'"quantity":3,"tags":["a","b","c"],"status":"published","available":true,'
    b'"created":"2026-01-02","attributes":{"color":"red","size":"L"}}'
)
PATH = "/items/42"
QUERY = "q=hello&limit=5"


def fastcore_typed() -> Any:
    """fastcore with typed binding: the signature says it all."""
    app = App()

    @app.post("/items/{item_id:int}")
    async def update_item(
        item_id: int,
        item: Item,
        q: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ):
        return {"item_id": item_id, "q": q, "limit": limit, "item": item.model_dump(mode="json")}

    return app


def fastcore_raw() -> Any:
    """fastcore with a raw handler doing the same checks by hand."""
    app = App()

    @app.post("/items/{item_id:int}")
    async def update_item(request: Request, item_id: int):
        query = request.query
        q = query.get("q")
        try:
            limit = int(query.get("limit", "10"))
        except ValueError:
            return JSONResponse({"detail": "limit must be an integer"}, status_code=422)
        if not 1 <= limit <= 100:
            return JSONResponse({"detail": "limit must be 1 to 100"}, status_code=422)
        try:
            item = Item.model_validate_json(await request.body())
        except pydantic.ValidationError as exc:
            return JSONResponse({"detail": exc.errors(include_url=False)}, status_code=422)
        return {"item_id": item_id, "q": q, "limit": limit, "item": item.model_dump(mode="json")}

    return app


def fastapi_app() -> Any:
    """FastAPI, the same endpoint."""
    app = FastAPI()

    @app.post("/items/{item_id}")
    async def update_item(
        item_id: int,
        item: Item,
        q: str | None = None,
        limit: Annotated[int, FastAPIQuery(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "limit": limit, "item": item.model_dump(mode="json")}

    return app


def litestar_app() -> Any:
    """Litestar, the same endpoint."""

    @post("/items/{item_id:int}", status_code=200)
    async def update_item(
        item_id: FromPath[int],
        data: JSONBody[Item],
        q: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "limit": limit, "item": data.model_dump(mode="json")}

    return Litestar(route_handlers=[update_item], openapi_config=None)
