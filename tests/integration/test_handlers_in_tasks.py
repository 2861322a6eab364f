"""Handlers that need the current asyncio Task get one from their first line.

The server runs a request's first step without a Task only when nothing in it
can need one (the framework's code and user code that cannot suspend); a
handler, middleware or error handler that awaits starts inside a Task, so
``asyncio.timeout()``, sniffio/anyio (httpx) and ``asyncio.current_task()``
work before its first suspension, as on any asyncio server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sniffio

from fastcore import App, JSONResponse, Request
from tests.integration.helpers import HttpReader, LiveServer, get

Serve = Callable[..., LiveServer]


class Refused(Exception):
    """Raised by a handler, answered by an async error handler."""


def timing_app(*, with_middleware: bool = False, security: bool = False) -> App:
    app = App(security=security)
    if with_middleware:

        @app.middleware_function
        async def tag(request: Request, call_next: Any) -> Any:
            # Before the first suspension: the Task must already be there.
            async with asyncio.timeout(5):
                response = await call_next(request)
            response.headers["x-task"] = "yes" if asyncio.current_task() else "no"
            return response

    @app.get("/timeout")
    async def with_timeout() -> Any:
        async with asyncio.timeout(1):
            await asyncio.sleep(0)
        return {"ok": True}

    @app.get("/sniff")
    async def sniff() -> Any:
        library = sniffio.current_async_library()
        await asyncio.sleep(0)
        return {"library": library}

    @app.get("/task")
    async def task_name() -> Any:
        first = asyncio.current_task()
        await asyncio.sleep(0)
        # The same Task before and after the first suspension.
        return {"same": first is not None and first is asyncio.current_task()}

    @app.get("/cancelled")
    async def cancelled() -> Any:
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(5)
        except TimeoutError:
            return {"timed_out": True}
        return {"timed_out": False}

    @app.get("/plain")
    async def plain() -> Any:
        return {"plain": True}

    @app.get("/refused")
    async def refused() -> Any:
        raise Refused()

    @app.exception_handler(Refused)
    async def refused_handler(request: Request, exc: Refused) -> Any:
        async with asyncio.timeout(1):
            await asyncio.sleep(0)
        return JSONResponse({"refused": True}, status_code=409)

    return app


EXPECTED = [
    ("/timeout", 200, b'{"ok":true}'),
    ("/sniff", 200, b'{"library":"asyncio"}'),
    ("/task", 200, b'{"same":true}'),
    ("/cancelled", 200, b'{"timed_out":true}'),
    ("/plain", 200, b'{"plain":true}'),
]


@pytest.mark.parametrize("with_middleware", [False, True], ids=["routed", "middleware"])
def test_awaiting_handlers_run_in_a_task_from_their_first_line(
    serve: Serve, with_middleware: bool
) -> None:
    server = serve(timing_app(with_middleware=with_middleware))
    with server.connect() as sock:
        reader = HttpReader(sock)
        # Pipelined, so the requests start in one pass of the protocol.
        sock.sendall(b"".join(get(path) for path, _, _ in EXPECTED))
        for path, status, body in EXPECTED:
            response = reader.read_response()
            assert (path, response.status, response.body) == (path, status, body)
            if with_middleware:
                assert response.header("x-task") == "yes"


def test_an_awaiting_error_handler_runs_in_a_task(serve: Serve) -> None:
    server = serve(timing_app())
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(get("/refused") + get("/plain"))
        first = reader.read_response()
        # The handler's 409 comes from inside the error handler (a 500 if its
        # asyncio.timeout() had refused to run outside a Task).
        assert (first.status, first.body) == (409, b'{"refused":true}')
        assert reader.read_response().body == b'{"plain":true}'
