"""The in-process clients: sync and async, redirects, cookies, options."""

from __future__ import annotations

import asyncio

import pytest

from fastcore import App, RedirectResponse, Request
from fastcore.testing import AsyncTestClient, TestClient


def small_app() -> App:
    app = App()

    @app.get("/")
    async def home(request: Request):
        return {"q": request.query.multi_items(), "h": request.headers.get("x-h")}

    @app.post("/form")
    async def form(request: Request):
        return {"type": request.content_type, "body": (await request.body()).decode()}

    @app.get("/hop/{n:int}")
    async def hop(n: int):
        return RedirectResponse(f"/hop/{n - 1}" if n else "/", status_code=302)

    return app


def test_async_client_runs_inside_an_event_loop() -> None:
    async def scenario() -> None:
        async with AsyncTestClient(small_app()) as client:
            response = await client.get("/", params={"a": "1"}, headers={"X-H": "v"})
            assert response.json() == {"q": [["a", "1"]], "h": "v"}
            posted = await client.post("/form", data={"name": "a b"})
            assert posted.json() == {
                "type": "application/x-www-form-urlencoded",
                "body": "name=a+b",
            }

    asyncio.run(scenario())


def test_redirects_are_followed_until_the_end() -> None:
    client = TestClient(small_app())
    response = client.get("/hop/3")
    assert response.status_code == 200
    assert response.url == "http://testserver/"
    first = client.get("/hop/3", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (302, "/hop/2")


def test_unknown_request_options_are_refused() -> None:
    with pytest.raises(TypeError, match="unknown request option"):
        TestClient(small_app()).get("/", timeout=3)


def test_requests_go_through_the_strict_parser() -> None:
    client = TestClient(small_app())
    # A header value with a bare CR would be refused by the server's parser;
    # the test client uses the same parser, so it is refused here too.
    from fastcore.exceptions import ParserError

    with pytest.raises(ParserError):
        client.get("/", headers={"x-h": "a\rb"})
