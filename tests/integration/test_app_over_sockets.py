"""A fastcore App on the bundled server, over real sockets (Request via the parser)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastcore import App, Request, StreamingResponse
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
