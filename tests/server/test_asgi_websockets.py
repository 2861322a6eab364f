"""The bundled server hosts a third-party ASGI app's WebSockets: a Starlette app,
with the websockets library as the client, over real sockets (in-process and
through ``fastcore run module:app``)."""

from __future__ import annotations

import asyncio
import socket
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastcore.testing import LiveServer
from tests.server.server_process import ServerProcess

pytest.importorskip("starlette", reason="Starlette is the hosted app")
websockets_client = pytest.importorskip("websockets.asyncio.client", reason="the client")
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

STARLETTE_APP = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    ENDED = []


    async def echo(websocket: WebSocket) -> None:
        offered = websocket.scope["subprotocols"]
        await websocket.accept(subprotocol="chat" if "chat" in offered else None)
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    ENDED.append(message["code"])
                    return
                if message.get("text") == "bye":
                    await websocket.close(4001, "bye to you")
                    return
                if message.get("text") is not None:
                    await websocket.send_text("echo: " + message["text"])
                else:
                    await websocket.send_bytes(message["bytes"][::-1])
        except WebSocketDisconnect as exc:
            ENDED.append(exc.code)


    async def refuse(websocket: WebSocket) -> None:
        await websocket.close()


    async def broken(websocket: WebSocket) -> None:
        await websocket.accept()
        raise RuntimeError("app bug")


    async def ended(request):
        return PlainTextResponse(",".join(str(code) for code in ENDED))


    app = Starlette(
        routes=[
            WebSocketRoute("/ws", echo),
            WebSocketRoute("/refuse", refuse),
            WebSocketRoute("/broken", broken),
            Route("/ended", ended),
        ]
    )
    """
)


@pytest.fixture(scope="module")
def starlette_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("starlette_app")
    (folder / "starlette_ws_app.py").write_text(STARLETTE_APP)
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("starlette_ws_app", None)


@pytest.fixture(scope="module")
def server(starlette_module: Path) -> Iterator[LiveServer]:
    import starlette_ws_app  # type: ignore[import-not-found]

    with LiveServer(starlette_ws_app.app) as live:
        yield live


def ws_url(port: int, path: str) -> str:
    return f"ws://127.0.0.1:{port}{path}"


def run(coro: object) -> object:
    return asyncio.run(asyncio.wait_for(coro, 10))  # type: ignore[arg-type]


async def talk(port: int) -> list[object]:
    async with websockets_client.connect(ws_url(port, "/ws"), subprotocols=["chat"]) as ws:
        await ws.send("hello")
        text = await ws.recv()
        await ws.send(b"\x01\x02")
        binary = await ws.recv()
        await ws.send("bye")
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None
        return [ws.subprotocol, text, binary, closed.value.rcvd.code, closed.value.rcvd.reason]


EXPECTED = ["chat", "echo: hello", b"\x02\x01", 4001, "bye to you"]


def test_a_starlette_websocket_endpoint_on_the_bundled_server(server: LiveServer) -> None:
    assert run(talk(server.port)) == EXPECTED


def test_a_client_that_leaves_reaches_the_app_as_a_disconnect(server: LiveServer) -> None:
    async def leave() -> None:
        async with websockets_client.connect(ws_url(server.port, "/ws")) as ws:
            await ws.send("hi")
            await ws.recv()
        # the context manager closed with 1000

    run(leave())
    deadline = time.monotonic() + 5
    body = b""
    while time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /ended HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            body = b"".join(iter(lambda: sock.recv(65536), b""))
        if b"1000" in body:
            break
        time.sleep(0.05)
    assert body.endswith(b"1000")


@pytest.mark.parametrize(("path", "status"), [("/refuse", 403), ("/nowhere", 403)])
def test_a_refused_handshake_is_an_http_answer(server: LiveServer, path: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as info:
        run(websockets_client.connect(ws_url(server.port, path)).__aenter__())
    assert info.value.response.status_code == status


def test_an_app_error_after_accept_closes_with_1011(server: LiveServer) -> None:
    async def broken() -> int | None:
        async with websockets_client.connect(ws_url(server.port, "/broken")) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert run(broken()) == 1011


def test_fastcore_run_serves_a_starlette_websocket_app(starlette_module: Path) -> None:
    server = ServerProcess(starlette_module, "starlette_ws_app:app", "--port", "0")
    try:
        assert run(talk(server.port)) == EXPECTED
        assert server.stop() == 0
    finally:
        server.kill()
