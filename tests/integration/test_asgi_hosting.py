"""The fastcore server hosting plain ASGI 3 applications."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

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
