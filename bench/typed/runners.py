"""The typed workload's request runners: one request, in-process, per framework.

``build(name, loop)`` returns ``(run, body_of)``: ``run()`` sends one request
and returns what the framework produced; ``body_of`` decodes the JSON answer
(checked against :data:`EXPECTED` before any measurement).

fastcore: raw request bytes through the compiled parser, the App's dispatch
(router, binders, handler, serialization) and the compiled response writer,
driven synchronously as the bundled server's eager dispatch does. FastAPI
and Litestar: the same endpoint called through ASGI with the scope and body
message uvicorn would send, on an event loop (they do not complete without
one). No sockets: the load harness measures servers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from bench.typed.apps import (
    BODY,
    PATH,
    QUERY,
    fastapi_app,
    fastcore_raw,
    fastcore_typed,
    litestar_app,
)

RAW_REQUEST = (
    f"POST {PATH}?{QUERY} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\n"
    f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
).encode() + BODY

EXPECTED = {
    "item_id": 42,
    "q": "hello",
    "limit": 5,
    "item": {
        "name": "Widget",
        "description": "A useful widget",
        "price": "12.50",
        "tax": 1.5,
        "quantity": 3,
        "tags": ["a", "b", "c"],
        "status": "published",
        "available": True,
        "created": "2026-01-02",
        "attributes": {"color": "red", "size": "L"},
    },
}


def drive(coroutine: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """Run a coroutine synchronously if it never suspends, else on ``loop``."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the request suspended: it needs the event loop")


def fastcore_runner(app: Any, loop: asyncio.AbstractEventLoop) -> Any:
    from fastcore import Request
    from fastcore._speedups.http_parser import HttpRequestParser
    from fastcore._speedups.response_writer import ResponseWriter
    from fastcore.testing.client import MemoryBodyReader

    dispatch = app.build_dispatch()
    writer = ResponseWriter()
    head_length = RAW_REQUEST.index(b"\r\n\r\n") + 4

    async def one() -> bytes:
        parser = HttpRequestParser(head_type=Request)
        parser.feed(RAW_REQUEST[:head_length])
        parser.next_event()
        request = parser.head
        request.body_reader = MemoryBodyReader([BODY])
        response = await dispatch(request)
        return writer.serialize(response, 1, True, False)  # type: ignore[no-any-return]

    def run() -> bytes:
        # PERF: as the bundled server does (eager dispatch): the handler is
        # driven synchronously and only a handler that suspends gets a Task.
        return drive(one(), loop)  # type: ignore[no-any-return]

    return run, lambda raw: orjson.loads(raw.partition(b"\r\n\r\n")[2])


def asgi_runner(app: Any, loop: asyncio.AbstractEventLoop) -> Any:
    path, _, _ = PATH.partition("?")
    scope_template = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": QUERY.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"user-agent", b"wrk"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 8000),
    }

    async def one() -> list[Any]:
        sent: list[Any] = []
        messages = [{"type": "http.request", "body": BODY, "more_body": False}]

        async def receive() -> Any:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()  # a disconnect never comes in this run

        async def send(message: Any) -> None:
            sent.append(message)

        await app(dict(scope_template, state={}), receive, send)
        return sent

    def run() -> list[Any]:
        return loop.run_until_complete(one())

    def body_of(sent: list[Any]) -> Any:
        assert sent[0]["status"] == 200, sent
        return orjson.loads(b"".join(m.get("body", b"") for m in sent[1:]))

    return run, body_of


def lifespan(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Run an ASGI app's startup (Litestar builds its handlers there)."""
    events = [{"type": "lifespan.startup"}]
    done = asyncio.Event()

    async def receive() -> Any:
        if events:
            return events.pop()
        await done.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: Any) -> None:
        if message["type"].startswith("lifespan.startup"):
            done.set()

    task = loop.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    )
    loop.run_until_complete(done.wait())
    task.cancel()


FRAMEWORKS = {
    "fastcore-typed": (fastcore_typed, fastcore_runner),
    "fastcore-raw": (fastcore_raw, fastcore_runner),
    "fastapi": (fastapi_app, asgi_runner),
    "litestar": (litestar_app, asgi_runner),
}


def build(framework: str, loop: asyncio.AbstractEventLoop) -> Any:
    """The ``(run, body_of)`` pair of ``framework`` (a key of :data:`FRAMEWORKS`)."""
    make_app, runner = FRAMEWORKS[framework]
    app = make_app()
    if runner is asgi_runner:
        lifespan(app, loop)
    return runner(app, loop)
