"""Dependency injection: providers, caching, sub-dependencies, teardown and overrides."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from pydantic import BaseModel

from fastcore import App, Depends, Header, HTTPException, Query, Request
from fastcore.testing import TestClient

events: list[str] = []


async def connection() -> AsyncIterator[str]:
    events.append("connection open")
    try:
        yield "conn"
    except ValueError:
        events.append("connection saw ValueError")
        raise
    finally:
        events.append("connection close")


def settings() -> Iterator[dict[str, str]]:
    events.append("settings open")
    yield {"env": "test"}
    events.append("settings close")


async def current_user(
    conn: Annotated[str, Depends(connection)], token: Annotated[str | None, Header()] = None
) -> str:
    events.append("user")
    if token is None:
        raise HTTPException(401, "no token")
    return f"{token}@{conn}"


def pagination(page: Annotated[int, Query(ge=1)] = 1, size: int = 10) -> dict[str, int]:
    events.append("pagination")
    return {"page": page, "size": size}


class Filters(BaseModel):
    name: str


def make_app() -> App:
    app = App()

    @app.get("/items")
    async def items(
        user: Annotated[str, Depends(current_user)],
        conn: Annotated[str, Depends(connection)],
        cfg: Annotated[dict[str, str], Depends(settings)],
        pages: Annotated[dict[str, int], Depends(pagination)],
    ):
        events.append("handler")
        return {"user": user, "conn": conn, "env": cfg["env"], **pages}

    @app.get("/fail")
    async def fail(conn: Annotated[str, Depends(connection)]):
        events.append("handler")
        raise ValueError("boom")

    @app.get("/uncached")
    async def uncached(
        a: Annotated[dict[str, int], Depends(pagination)],
        b: Annotated[dict[str, int], Depends(pagination, use_cache=False)],
    ):
        return {"same": a is b}

    return app


def setup_function() -> None:
    events.clear()


def test_order_cache_and_teardown_after_the_handler() -> None:
    client = TestClient(make_app())
    got = client.get("/items?page=2", headers={"token": "t"})
    assert got.json() == {"user": "t@conn", "conn": "conn", "env": "test", "page": 2, "size": 10}
    # connection runs once (cached) though two arguments use it; teardown is
    # newest first, after the handler.
    assert events == [
        "connection open",
        "user",
        "settings open",
        "pagination",
        "handler",
        "settings close",
        "connection close",
    ]


def test_teardown_runs_when_the_handler_fails_and_sees_the_error() -> None:
    client = TestClient(make_app())
    assert client.get("/fail").status_code == 500
    assert events == [
        "connection open",
        "handler",
        "connection saw ValueError",
        "connection close",
    ]


def test_teardown_runs_when_a_dependency_raises_an_http_error() -> None:
    client = TestClient(make_app())
    got = client.get("/items")
    assert got.status_code == 401
    assert got.json()["detail"] == "no token"
    assert events == ["connection open", "user", "connection close"]


def test_dependency_parameters_are_validated_with_the_handler() -> None:
    client = TestClient(make_app())
    got = client.get("/items?page=0&size=x", headers={"token": "t"})
    assert got.status_code == 422
    assert [e["loc"] for e in got.json()["errors"]] == [["query", "page"], ["query", "size"]]
    assert "handler" not in events and "pagination" not in events
    assert events[-1] == "connection close"


def test_use_cache_false_calls_the_provider_again() -> None:
    client = TestClient(make_app())
    assert client.get("/uncached").json() == {"same": False}
    assert events.count("pagination") == 2


def test_overrides_replace_providers_for_tests() -> None:
    app = make_app()

    async def fake_user(request: Request) -> str:
        return f"fake:{request.path}"

    app.dependency_overrides[current_user] = fake_user
    client = TestClient(app)
    got = client.get("/items")
    assert got.status_code == 200
    assert got.json()["user"] == "fake:/items"
    assert "user" not in events
    app.dependency_overrides.clear()
    assert client.get("/items").status_code == 401
