"""The fastcore server hosting plain ASGI 3 applications."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from fastcore.types import Message, Receive, Scope, Send
from tests.integration.helpers import HttpReader, LiveServer, get, request

Serve = Callable[..., LiveServer]


class EchoApp:
    """A raw ASGI app: lifespan, body echo, streaming and errors."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.scopes: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"]["greeting"] = "hello"
                    self.events.append("startup")
                    await send({"type": "lifespan.startup.complete"})
                else:
                    self.events.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        self.scopes.append(scope)
        path = scope["path"]
        if path == "/boom":
            raise RuntimeError("app bug")
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [
            (b"Content-Type", b"text/plain"),
            (b"X-State", scope["state"]["greeting"].encode()),
        ]
        if path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            for part in (b"one ", b"two ", b"three"):
                await asyncio.sleep(0)
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        payload = f"{scope['method']} {path} {scope['query_string'].decode()} ".encode() + body
        headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def test_asgi_app_gets_lifespan_scope_and_body(serve: Serve) -> None:
    app = EchoApp()
    server = serve(app, asgi=True)
    assert app.events == ["startup"]
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(request("POST", "/caf%C3%A9?q=1", b"payload"))
        response = reader.read_response()
        assert response.status == 201
        assert response.body == "POST /café q=1 payload".encode()
        assert response.header("x-state") == "hello"
        assert response.header_list("content-length") == [str(len(response.body))]
    scope = app.scopes[0]
    assert scope["raw_path"] == b"/caf%C3%A9"
    assert scope["http_version"] == "1.1"
    assert scope["client"][0] == "127.0.0.1"
    assert scope["server"] == ("127.0.0.1", server.port)
    assert (b"host", b"test") in [(bytes(k), bytes(v)) for k, v in scope["headers"]]
    server.stop()
    assert app.events == ["startup", "shutdown"]


def test_asgi_streaming_head_and_errors(serve: Serve) -> None:
    server = serve(EchoApp(), asgi=True)
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(get("/stream") + get("/boom") + b"HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n")
        streamed = reader.read_response()
        assert streamed.header("transfer-encoding") == "chunked"
        assert streamed.body == b"one two three"
        assert reader.read_response().status == 500
        head = reader.read_response(head_request=True)
        # The app's own length for HEAD is kept (the body it describes is not sent).
        assert head.header("content-length") == str(len(b"HEAD /x  "))


def test_asgi_app_without_lifespan_support(serve: Serve) -> None:
    async def bare(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    server = serve(bare, asgi=True)
    with server.connect() as sock:
        sock.sendall(get("/"))
        response = HttpReader(sock).read_response()
    assert response.status == 204
    assert response.header("content-length") is None


def test_receive_after_the_response_reports_disconnect(serve: Serve) -> None:
    messages: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise RuntimeError("no lifespan here")
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
        messages.append((await asyncio.wait_for(receive(), 2))["type"])

    server = serve(app, asgi=True)
    with server.connect() as sock:
        sock.sendall(get("/"))
        assert HttpReader(sock).read_response().body == b"done"
    for _ in range(200):
        if messages:
            break
        time.sleep(0.01)
    assert messages == ["http.disconnect"]


def test_starlette_app_runs_on_the_fastcore_server(serve: Serve) -> None:
    pytest.importorskip("starlette")
    from starlette.applications import Starlette
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    async def items(request: StarletteRequest) -> JSONResponse:
        payload = await request.json()
        return JSONResponse({"items": payload, "path": request.url.path})

    async def stream(request: StarletteRequest) -> StreamingResponse:
        async def parts() -> Any:
            for part in (b"a", b"b", b"c"):
                yield part

        return StreamingResponse(parts(), media_type="text/plain")

    app = Starlette(routes=[Route("/items", items, methods=["POST"]), Route("/s", stream)])
    server = serve(app, asgi=True)
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(request("POST", "/items", b"[1, 2]", "Content-Type: application/json"))
        response = reader.read_response()
        assert response.status == 200
        assert response.body == b'{"items":[1,2],"path":"/items"}'
        sock.sendall(get("/s") + get("/nope"))
        assert reader.read_response().body == b"abc"
        assert reader.read_response().status == 404
