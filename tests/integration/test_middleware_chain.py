"""An App with middleware, served by the bundled server.

The server calls the App's middleware chain itself and routes each request
once: the match it makes to decide whether the request may start outside a
Task is handed to the App's routing step, unless a middleware changed the
request's method first. Errors raised by middleware, before or after their
first suspension, reach the App's error handlers as under any other server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastcore import App, JSONResponse, Request, Response
from fastcore.middleware_base import Middleware
from tests.integration.helpers import HttpReader, LiveServer, get

Serve = Callable[..., LiveServer]


class Teapot(Exception):
    """Raised by a middleware, answered by the App's error handler."""


class MethodOverride(Middleware):
    """Takes the method from X-HTTP-Method-Override; refuses on X-Refuse."""

    # Nothing here needs the current Task: the server may start requests
    # through it outside one (and then hands its route match on).
    inline_safe = True

    async def __call__(self, request: Request) -> Response:
        override = request.headers.get("x-http-method-override")
        if override:
            request.method = override.upper()
        refuse = request.headers.get("x-refuse")
        if refuse == "now":
            raise Teapot()
        if refuse == "later":
            await asyncio.sleep(0)
            raise Teapot()
        return await self.next(request)


def chain_app() -> App:
    app = App(security=False, middleware=[MethodOverride])

    @app.get("/thing")
    async def read_thing() -> Any:
        return {"did": "read"}

    @app.delete("/thing")
    async def delete_thing() -> Any:
        return {"did": "delete"}

    @app.get("/other")
    async def other(request: Request) -> Any:
        return {"route": request.route.pattern if request.route else None}

    @app.exception_handler(Teapot)
    async def teapot(request: Request, exc: Teapot) -> Any:
        return JSONResponse({"teapot": True}, status_code=418)

    return app


def test_a_method_changed_by_middleware_is_routed_again(serve: Serve) -> None:
    server = serve(chain_app())
    with server.connect() as sock:
        reader = HttpReader(sock)
        # Pipelined: the requests start in one pass, one after the other.
        sock.sendall(
            get("/thing")
            + get("/thing", "X-HTTP-Method-Override: delete")
            + get("/thing")
            + get("/other")
        )
        bodies = [reader.read_response().body for _ in range(4)]
    assert bodies == [
        b'{"did":"read"}',
        b'{"did":"delete"}',
        b'{"did":"read"}',
        b'{"route":"/other"}',
    ]


def test_middleware_errors_reach_the_app_error_handlers(serve: Serve) -> None:
    server = serve(chain_app())
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(
            get("/thing", "X-Refuse: now") + get("/thing", "X-Refuse: later") + get("/thing")
        )
        answers = [reader.read_response() for _ in range(3)]
    assert [(a.status, a.body) for a in answers] == [
        (418, b'{"teapot":true}'),
        (418, b'{"teapot":true}'),
        (200, b'{"did":"read"}'),
    ]
