"""Parameter binding by type hints and markers, one source at a time."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from fastcore import (
    App,
    Body,
    Cookie,
    CurrentUser,
    Header,
    ImproperlyConfigured,
    Middleware,
    Path,
    Query,
    Request,
    Response,
    RouteGroup,
)
from fastcore.middleware_base import Handler
from fastcore.testing import TestClient


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Item(BaseModel):
    name: str
    price: Decimal
    tags: list[str] = []


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    title: str
    year: int


class User:
    def __init__(self, name: str, authenticated: bool) -> None:
        self.name = name
        self.is_authenticated = authenticated


def client_for(app: App) -> TestClient:
    return TestClient(app)


def test_query_scalars_optional_and_defaults() -> None:
    app = App()

    @app.get("/search")
    async def search(
        q: str | None = None,
        page: int = 1,
        ratio: float = 0.5,
        exact: bool = False,
        when: datetime.date | None = None,
        ident: uuid.UUID | None = None,
    ):
        return {"q": q, "page": page, "ratio": ratio, "exact": exact, "when": when, "id": ident}

    client = client_for(app)
    assert client.get("/search").json() == {
        "q": None,
        "page": 1,
        "ratio": 0.5,
        "exact": False,
        "when": None,
        "id": None,
    }
    ident = uuid.uuid4()
    got = client.get(
        f"/search?q=hi&page=3&ratio=2.5&exact=true&when=2026-01-02&ident={ident}"
    ).json()
    assert got == {
        "q": "hi",
        "page": 3,
        "ratio": 2.5,
        "exact": True,
        "when": "2026-01-02",
        "id": str(ident),
    }


def test_query_lists_enums_literals_and_constraints() -> None:
    app = App()

    @app.get("/f")
    async def f(
        tags: list[str] = [],  # noqa: B006 (the binder copies defaults)
        ids: Annotated[list[int], Query(alias="id")] = [],  # noqa: B006
        color: Color = Color.RED,
        level: Level = Level.LOW,
        sort: Literal["asc", "desc"] = "asc",
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
        name: str = Query("x", min_length=1, max_length=5),
    ):
        return {
            "tags": tags,
            "ids": ids,
            "color": color.value,
            "level": int(level),
            "sort": sort,
            "limit": limit,
            "name": name,
        }

    client = client_for(app)
    got = client.get("/f?tags=a&tags=b&id=1&id=2&color=blue&level=2&sort=desc&limit=50&name=abc")
    assert got.json() == {
        "tags": ["a", "b"],
        "ids": [1, 2],
        "color": "blue",
        "level": 2,
        "sort": "desc",
        "limit": 50,
        "name": "abc",
    }
    # A mutable default is not shared between requests.
    assert client.get("/f").json()["tags"] == []
    bad = client.get("/f?id=x&limit=0&color=green&name=toolong")
    assert bad.status_code == 422
    locs = [error["loc"] for error in bad.json()["errors"]]
    assert locs == [["query", "id", 0], ["query", "color"], ["query", "limit"], ["query", "name"]]


def test_required_query_parameter_needs_a_marker() -> None:
    app = App()

    @app.get("/r")
    async def r(q: Annotated[str, Query()], n: Annotated[int, Query()]):
        return {"q": q, "n": n}

    client = client_for(app)
    assert client.get("/r?q=a&n=2").json() == {"q": "a", "n": 2}
    missing = client.get("/r")
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {
            "loc": ["query", "q"],
            "field": "q",
            "msg": "Field required",
            "type": "missing",
            "input": None,
        },
        {
            "loc": ["query", "n"],
            "field": "n",
            "msg": "Field required",
            "type": "missing",
            "input": None,
        },
    ]


def test_unmarked_required_scalar_is_a_registration_error() -> None:
    app = App()
    with pytest.raises(ImproperlyConfigured, match="Annotated\\[int, Query\\(\\)\\]"):

        @app.get("/x/{a}")
        async def handler(a: str, typo: int):
            return "x"


def test_headers_and_cookies() -> None:
    app = App()

    @app.get("/h")
    async def h(
        user_agent: Annotated[str | None, Header()] = None,
        x_count: Annotated[int, Header()] = 0,
        accept: Annotated[list[str], Header()] = [],  # noqa: B006
        token: Annotated[str | None, Cookie(alias="tok")] = None,
        theme: Annotated[str, Cookie()] = "light",
    ):
        return {"ua": user_agent, "count": x_count, "accept": accept, "tok": token, "theme": theme}

    client = client_for(app)
    got = client.get(
        "/h",
        headers={"X-Count": "7", "Accept": "text/html"},
        cookies={"tok": "abc", "theme": "dark"},
    ).json()
    assert got == {
        "ua": "fastcore-testclient",
        "count": 7,
        "accept": ["text/html"],
        "tok": "abc",
        "theme": "dark",
    }
    bad = client.get("/h", headers={"X-Count": "many"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["header", "x-count"]
    assert bad.json()["errors"][0]["input"] == "many"


def test_path_parameters_typed_by_the_router_and_constrained_by_path() -> None:
    app = App()

    @app.get("/u/{user_id:int}/{slug}")
    async def u(user_id: int, slug: Annotated[str, Path(max_length=3)]):
        return {"id": user_id, "slug": slug}

    client = client_for(app)
    assert client.get("/u/4/abc").json() == {"id": 4, "slug": "abc"}
    assert client.get("/u/x/abc").status_code == 404
    bad = client.get("/u/4/abcd")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["path", "slug"]


def test_path_marker_without_a_route_parameter_is_an_error() -> None:
    app = App()
    with pytest.raises(ImproperlyConfigured, match="marked Path"):

        @app.get("/p")
        async def p(nope: Annotated[int, Path()]):
            return "x"


def test_json_body_models() -> None:
    app = App()

    @app.post("/item")
    async def item(body: Item):
        return {"name": body.name, "price": str(body.price), "type": type(body).__name__}

    @app.post("/point")
    async def point(p: Point):
        return {"sum": p.x + p.y, "type": type(p).__name__}

    @app.post("/movie")
    async def movie(m: Movie):
        return {"title": m["title"], "year": m["year"]}

    @app.post("/raw")
    async def raw(data: dict[str, Any]):
        return {"keys": sorted(data)}

    @app.post("/list")
    async def as_list(values: list[int]):
        return {"total": sum(values)}

    @app.post("/plain")
    async def plain(data: dict):  # type: ignore[type-arg]
        return data

    client = client_for(app)
    assert client.post("/item", json={"name": "a", "price": "1.50"}).json() == {
        "name": "a",
        "price": "1.50",
        "type": "Item",
    }
    assert client.post("/point", json={"x": 1, "y": "2"}).json() == {"sum": 3, "type": "Point"}
    assert client.post("/movie", json={"title": "M", "year": 1999}).json() == {
        "title": "M",
        "year": 1999,
    }
    assert client.post("/raw", json={"b": 1, "a": 2}).json() == {"keys": ["a", "b"]}
    assert client.post("/list", json=[1, 2, 3]).json() == {"total": 6}
    assert client.post("/plain", json={"k": [1]}).json() == {"k": [1]}
    wrong_shape = client.post("/plain", json=[1])
    assert wrong_shape.status_code == 422
    assert wrong_shape.json()["errors"][0]["type"] == "dict_type"
    bad = client.post("/point", json={"x": "one"})
    assert bad.status_code == 422
    assert [(e["loc"], e["type"]) for e in bad.json()["errors"]] == [
        (["body", "x"], "int_parsing"),
        (["body", "y"], "missing"),
    ]
    assert bad.json()["errors"][0]["field"] == "x"


def test_embedded_and_multiple_body_arguments() -> None:
    app = App()

    @app.post("/pair")
    async def pair(item: Item, count: Annotated[int, Body(ge=1)]):
        return {"name": item.name, "count": count}

    @app.post("/one")
    async def one(item: Annotated[Item, Body(embed=True)]):
        return {"name": item.name}

    client = client_for(app)
    got = client.post("/pair", json={"item": {"name": "a", "price": 1}, "count": 2})
    assert got.json() == {"name": "a", "count": 2}
    bad = client.post("/pair", json={"item": {"name": "a", "price": 1}, "count": 0})
    assert bad.json()["errors"][0]["loc"] == ["body", "count"]
    assert client.post("/one", json={"item": {"name": "b", "price": 1}}).json() == {"name": "b"}


def test_optional_body_and_missing_body() -> None:
    app = App()

    @app.post("/opt")
    async def opt(item: Item | None = None):
        return {"item": None if item is None else item.name}

    @app.post("/req")
    async def req(item: Item):
        return {"item": item.name}

    client = client_for(app)
    assert client.post("/opt").json() == {"item": None}
    missing = client.post("/req")
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"loc": ["body"], "field": "", "msg": "Field required", "type": "missing", "input": None}
    ]


def test_request_is_bound_by_type_or_name_together_with_typed_values() -> None:
    app = App()

    @app.get("/both/{n:int}")
    async def both(req: Request, n: int, q: str = ""):
        return {"path": req.path, "n": n, "q": q}

    @app.get("/named")
    async def named(request, q: str = "x"):  # type: ignore[no-untyped-def]
        return {"method": request.method, "q": q}

    client = client_for(app)
    assert client.get("/both/2?q=z").json() == {"path": "/both/2", "n": 2, "q": "z"}
    assert client.get("/named").json() == {"method": "GET", "q": "x"}


def test_sync_handlers_are_bound_too() -> None:
    app = App()

    @app.post("/sync/{n:int}")
    def sync(n: int, item: Item, q: int = 0):
        return {"n": n, "name": item.name, "q": q}

    got = client_for(app).post("/sync/1?q=5", json={"name": "s", "price": 1})
    assert got.json() == {"n": 1, "name": "s", "q": 5}


def test_binding_inside_route_groups() -> None:
    api = RouteGroup("/api", name="api")

    @api.get("/items/{item_id:int}", response_model=Item)
    async def get_item(item_id: int, verbose: bool = False):
        return {"name": f"#{item_id}{'!' if verbose else ''}", "price": 1, "secret": "x"}

    app = App()
    app.include(api)
    got = client_for(app).get("/api/items/3?verbose=1").json()
    assert got == {"name": "#3!", "price": "1", "tags": []}


def test_current_user_and_db_session_sources() -> None:
    class FakeAuth(Middleware):
        def __init__(self, next: Handler) -> None:
            super().__init__(next)

        async def __call__(self, request: Request) -> Response:
            name = request.headers.get("x-user")
            request.user = User(name or "anon", authenticated=name is not None)
            return await self.next(request)

    app = App(middleware=[FakeAuth])

    @app.get("/me")
    async def me(user: Annotated[User, CurrentUser()]):
        return {"name": user.name}

    @app.get("/maybe")
    async def maybe(user: Annotated[User | None, CurrentUser()]):
        return {"name": None if user is None else user.name}

    client = client_for(app)
    assert client.get("/me", headers={"X-User": "ann"}).json() == {"name": "ann"}
    assert client.get("/me").status_code == 401
    assert client.get("/maybe").json() == {"name": None}


def test_a_hint_that_cannot_be_resolved_is_named_at_registration() -> None:
    app = App()

    class Local(BaseModel):  # local: invisible to get_type_hints later
        x: int

    with pytest.raises(ImproperlyConfigured, match="cannot resolve the type hint of 'body'"):

        @app.post("/local")
        async def local(body: Local):
            return {}
