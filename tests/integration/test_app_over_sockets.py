"""A fastcore App on the bundled server, over real sockets (Request via the parser)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastcore import App, PlainTextResponse, Request, StreamingResponse
from tests.integration.helpers import HttpReader, LiveServer, get, request

Serve = Callable[..., LiveServer]


def build_app() -> App:
    app = App()

    @app.post("/echo")
    async def echo(request: Request) -> Any:
        data = await request.json()
        host, _ = request.client or ("?", 0)
        return {"got": data, "client": host, "scheme": request.url.scheme}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def numbers() -> AsyncIterator[str]:
            for number in range(3):
                await asyncio.sleep(0)
                yield f"{number};"

        return StreamingResponse(numbers(), media_type="text/plain")

    @app.get("/boom")
    async def boom() -> str:
        raise RuntimeError("handler bug")

    return app


def test_app_request_body_json_and_client(serve: Serve) -> None:
    server = serve(build_app())
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(request("POST", "/echo", b'{"a": [1, 2]}', "Content-Type: application/json"))
        response = reader.read_response()
        assert response.status == 200
        assert response.body == b'{"got":{"a":[1,2]},"client":"127.0.0.1","scheme":"http"}'
        # The same body through 100-continue.
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        assert reader.read_response().status == 100
        sock.sendall(b"true")
        assert reader.read_response().body.startswith(b'{"got":true')


def test_app_streaming_errors_and_not_found(serve: Serve) -> None:
    server = serve(build_app())
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(get("/stream") + get("/boom") + get("/missing") + get("/stream"))
        first = reader.read_response()
        assert first.body == b"0;1;2;"
        assert first.header("transfer-encoding") == "chunked"
        assert reader.read_response().status == 500
        assert reader.read_response().status == 404
        assert reader.read_response().body == b"0;1;2;"


def routed_app() -> App:
    """Handlers covering every way the protocol's routed fast path can end."""
    app = App()

    @app.exception_handler(KeyError)
    async def missing_key(request: Request, exc: Exception) -> Any:
        await asyncio.sleep(0)  # an error handler that suspends
        return PlainTextResponse(f"no {exc} on {request.route.pattern}", status_code=410)

    @app.get("/items/{item_id:int}")
    async def item(request: Request, item_id: int) -> Any:
        assert request.app is app and request.path_params == {"item_id": item_id}
        return {"id": item_id}  # converted (not a Response)

    @app.get("/later")
    async def later() -> Any:
        await asyncio.sleep(0)
        return ("created", 201)  # converted after a suspension

    @app.get("/raises-now")
    async def raises_now() -> Any:
        raise KeyError("now")

    @app.get("/raises-later")
    async def raises_later() -> Any:
        await asyncio.sleep(0)
        raise KeyError("later")

    @app.get("/bad-return")
    async def bad_return() -> Any:
        return object()  # to_response refuses it: 500

    return app


def test_routed_fast_path_answers_like_the_python_dispatch(serve: Serve) -> None:
    expected = [
        (200, b'{"id":7}'),
        (201, b"created"),
        (410, b"no 'now' on /raises-now"),
        (410, b"no 'later' on /raises-later"),
        (500, None),
        (404, None),
        (405, None),
        (200, b'{"id":8}'),
    ]
    paths = [
        "/items/7",
        "/later",
        "/raises-now",
        "/raises-later",
        "/bad-return",
        "/nowhere",
        "/items/7",
        "/items/8",
    ]
    for eager in (True, False):
        server = serve(routed_app(), eager_dispatch=eager)
        with server.connect() as sock:
            reader = HttpReader(sock)
            # Pipelined: the answers come back in order whatever suspended.
            sock.sendall(
                b"".join(
                    request("POST", path) if index == 6 else get(path)
                    for index, path in enumerate(paths)
                )
            )
            for status, body in expected:
                response = reader.read_response()
                assert response.status == status, (eager, status)
                if body is not None:
                    assert response.body == body


def test_context_variables_stay_with_their_request(serve: Serve) -> None:
    # Under eager dispatch a handler starts outside any Task: it must still
    # run in its own context, so that a token set before the first
    # suspension resets after it, and nothing leaks into the next request.
    current = contextvars.ContextVar[str | None]("current", default=None)
    app = App()

    @app.middleware_function
    async def scoped(request: Request, call_next: Any) -> Any:
        token = current.set(request.url.path)
        try:
            return await call_next(request)
        finally:
            current.reset(token)

    @app.get("/suspends")
    async def suspends() -> Any:
        await asyncio.sleep(0)
        return {"current": current.get()}

    @app.get("/plain")
    async def plain() -> Any:
        return {"current": current.get()}

    @app.get("/sets")
    async def sets() -> Any:
        current.set("left behind")
        return {"current": current.get()}

    routed = App()

    @routed.get("/sets")
    async def routed_sets() -> Any:
        current.set("left behind")
        await asyncio.sleep(0)
        return {"current": current.get()}

    @routed.get("/reads")
    async def routed_reads() -> Any:
        return {"current": current.get()}

    for eager in (True, False):
        with serve(app, eager_dispatch=eager).connect() as sock:
            reader = HttpReader(sock)
            sock.sendall(get("/suspends") + get("/sets") + get("/plain"))
            assert reader.read_response().body == b'{"current":"/suspends"}'
            assert reader.read_response().body == b'{"current":"left behind"}'
            assert reader.read_response().body == b'{"current":"/plain"}'
        with serve(routed, eager_dispatch=eager).connect() as sock:
            reader = HttpReader(sock)
            sock.sendall(get("/sets") + get("/reads"))
            assert reader.read_response().body == b'{"current":"left behind"}'
            assert reader.read_response().body == b'{"current":null}'


def test_requests_kept_by_handlers_stay_their_own(serve: Serve) -> None:
    # The parser reuses a request object only when nothing refers to it any
    # more: requests a handler keeps (a queue, a background job) must still
    # read as their own after later requests on the same connection.
    kept: list[Request] = []
    app = App()

    @app.get("/keep/{name}")
    async def keep(request: Request, name: str) -> str:
        kept.append(request)
        return name

    @app.get("/static")
    async def static(request: Request) -> Any:
        params = request.path_params
        params["added"] = "by this handler"  # its own dict, not shared
        return {"params": params, "cookie": request.cookies.get("c")}

    server = serve(app)
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(
            get("/keep/one", "Cookie: c=1")
            + get("/static", "Cookie: c=2")
            + get("/keep/two", "Cookie: c=3")
            + get("/static")
        )
        bodies = [reader.read_response().body for _ in range(4)]
    assert bodies == [
        b"one",
        b'{"params":{"added":"by this handler"},"cookie":"2"}',
        b"two",
        b'{"params":{"added":"by this handler"},"cookie":null}',
    ]
    assert [(r.path, r.path_params, r.cookies) for r in kept] == [
        ("/keep/one", {"name": "one"}, {"c": "1"}),
        ("/keep/two", {"name": "two"}, {"c": "3"}),
    ]


def test_http_10_request_without_host(serve: Serve) -> None:
    app = App()

    @app.get("/where")
    async def where(request: Request) -> Any:
        return {"host": request.host}

    with serve(app).connect() as sock:
        sock.sendall(b"GET /where HTTP/1.0\r\n\r\n")
        response = HttpReader(sock).read_response()
    assert response.status == 200
    assert response.body == b'{"host":""}'
