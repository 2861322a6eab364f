"""The OpenAPI 3.1 document: valid, and saying what the handlers do."""

from __future__ import annotations

import enum
from typing import Annotated

from openapi_spec_validator import validate
from pydantic import BaseModel

from fastcore import (
    App,
    Body,
    Cookie,
    Depends,
    Form,
    Header,
    OpenAPIConfig,
    Path,
    Query,
    RouteGroup,
)
from fastcore.testing import TestClient
from fastcore.uploads import UploadFile


class Kind(enum.Enum):
    BOOK = "book"
    FILM = "film"


class ItemIn(BaseModel):
    name: str
    kind: Kind = Kind.BOOK


class ItemOut(ItemIn):
    id: int


def paging(page: Annotated[int, Query(ge=1, description="Page number")] = 1) -> int:
    return page


def make_app() -> App:
    app = App()
    app.openapi = OpenAPIConfig(
        title="Shelf",
        version="2.0",
        description="Books and films.",
        security_schemes={"cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"}},
        tags=[{"name": "items", "description": "Things on the shelf"}],
    )
    api = RouteGroup("/api", name="api")

    @api.get("/items/{item_id:int}", response_model=ItemOut, tags=["items"])
    async def get_item(
        item_id: Annotated[int, Path(ge=1, description="The item")],
        verbose: bool = False,
        trace: Annotated[str | None, Header(alias="x-trace")] = None,
        theme: Annotated[str, Cookie()] = "light",
    ):
        """Fetch one item.

        Answers 404 when there is none.
        """
        return {"id": item_id, "name": "x"}

    @api.get("/items", tags=["items"], security=[{"cookieAuth": []}])
    async def list_items(
        page: Annotated[int, Depends(paging)], kind: Kind | None = None
    ) -> list[ItemOut]:
        return []

    @api.post("/items", status_code=201, response_model=ItemOut, tags=["items"])
    async def create_item(item: ItemIn, notify: Annotated[bool, Body()] = False):
        return {"id": 1, **item.model_dump()}

    @api.delete("/items/{item_id:int}", status_code=204, deprecated=True)
    async def delete_item(item_id: int):
        return None

    @api.post("/upload")
    async def upload(title: Annotated[str, Form()], file: Annotated[UploadFile, Form()]):
        return {"ok": True}

    @api.get("/hidden", include_in_schema=False)
    async def hidden():
        return {}

    app.include(api)
    return app


def fetch_document(app: App) -> dict:  # type: ignore[type-arg]
    response = TestClient(app).get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def test_document_validates_against_the_openapi_31_schema() -> None:
    document = fetch_document(make_app())
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {
        "title": "Shelf",
        "version": "2.0",
        "description": "Books and films.",
    }
    assert set(document["paths"]) == {"/api/items/{item_id}", "/api/items", "/api/upload"}


def test_parameters_docstrings_and_response_models() -> None:
    document = fetch_document(make_app())
    get = document["paths"]["/api/items/{item_id}"]["get"]
    assert get["summary"] == "Fetch one item."
    assert get["description"] == "Answers 404 when there is none."
    assert get["tags"] == ["items"]
    assert get["operationId"] == "api.get_item_get"
    params = {(p["in"], p["name"]): p for p in get["parameters"]}
    assert params["path", "item_id"]["required"] is True
    assert params["path", "item_id"]["schema"] == {"type": "integer", "minimum": 1}
    assert params["path", "item_id"]["description"] == "The item"
    assert params["query", "verbose"]["schema"] == {"type": "boolean", "default": False}
    assert params["header", "x-trace"]["required"] is False
    assert params["cookie", "theme"]["schema"]["default"] == "light"
    ok = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/ItemOut"}
    assert "422" in get["responses"]
    schemas = document["components"]["schemas"]
    assert set(schemas["ItemOut"]["properties"]) == {"name", "kind", "id"}
    assert schemas["Kind"]["enum"] == ["book", "film"]


def test_dependencies_security_bodies_and_statuses() -> None:
    document = fetch_document(make_app())
    items = document["paths"]["/api/items"]
    listing = items["get"]
    assert listing["security"] == [{"cookieAuth": []}]
    page = next(p for p in listing["parameters"] if p["name"] == "page")
    assert page["description"] == "Page number"
    assert page["schema"]["minimum"] == 1
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    create = items["post"]
    assert set(create["responses"]) == {"201", "400", "415", "422"}
    body = create["requestBody"]["content"]["application/json"]["schema"]
    embedded = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert set(embedded["properties"]) == {"item", "notify"}
    delete = document["paths"]["/api/items/{item_id}"]["delete"]
    assert delete["deprecated"] is True
    assert delete["responses"] == {"204": {"description": "No Content"}}
    upload = document["paths"]["/api/upload"]["post"]["requestBody"]["content"]
    form_ref = upload["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    form = document["components"]["schemas"][form_ref]
    assert form["properties"]["file"]["format"] == "binary"
    assert document["components"]["securitySchemes"]["cookieAuth"]["in"] == "cookie"
    assert document["tags"] == [{"name": "items", "description": "Things on the shelf"}]


def test_docs_can_be_turned_off_and_step_aside_for_app_routes() -> None:
    app = make_app()
    app.openapi = OpenAPIConfig(enabled=False)
    client = TestClient(app)
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/docs").status_code == 404

    own = App()

    @own.get("/docs")
    async def my_docs():
        return "my docs"

    own_client = TestClient(own)
    assert own_client.get("/docs").text == "my docs"
    assert own_client.get("/openapi.json").status_code == 200
    assert own_client.get("/redoc").status_code == 200


def test_document_only_and_the_schema_method() -> None:
    app = make_app()
    app.openapi = OpenAPIConfig(title="Only JSON", docs_url=None, redoc_url=None)
    client = TestClient(app)
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    served = client.get("/openapi.json").json()
    assert served == app.openapi_schema()
    assert served["info"]["title"] == "Only JSON"
