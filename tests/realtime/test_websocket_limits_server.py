"""The App's WebSocket limits on the bundled server (the compiled connection), and
no Task left behind by handler errors and disconnects, over real sockets."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Iterator

import pytest

from fastcore import App, Settings
from fastcore.realtime import WebSocket
from fastcore.testing import LiveServer

websockets_client = pytest.importorskip("websockets.asyncio.client", reason="the websockets peer")
from websockets.exceptions import ConnectionClosed  # noqa: E402


def make_app() -> App:
    settings = Settings(websocket_max_message=1000, websocket_message_rate=5)
    app = App(security=False, settings=settings)

    @app.get("/tasks")
    async def tasks() -> dict[str, int]:
        return {"tasks": len(asyncio.all_tasks())}

    @app.websocket("/echo")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        async for message in ws:
            await ws.send_text(str(message))

    @app.websocket("/broken")
    async def broken(ws: WebSocket) -> None:
        await ws.accept()
        await ws.receive_text()
        raise RuntimeError("handler bug")

    @app.websocket("/waiting")
    async def waiting(ws: WebSocket) -> None:
        await ws.accept()
        await asyncio.sleep(60)  # never reads: only the disconnect ends it

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(make_app()) as live:
        yield live


def ws_url(server: LiveServer, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def run(coro: object) -> object:
    return asyncio.run(asyncio.wait_for(coro, 10))  # type: ignore[arg-type]


def closing_code(server: LiveServer, path: str, messages: list[str]) -> int | None:
    async def talk() -> int | None:
        async with websockets_client.connect(ws_url(server, path)) as ws:
            try:
                for message in messages:
                    await ws.send(message)
                while True:
                    await ws.recv()
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

    return run(talk())  # type: ignore[return-value]


def test_a_message_over_the_apps_limit_closes_with_1009(server: LiveServer) -> None:
    assert closing_code(server, "/echo", ["x" * 1001]) == 1009


def test_a_message_flood_closes_with_1008(server: LiveServer) -> None:
    assert closing_code(server, "/echo", ["m"] * 20) == 1008


def server_tasks(server: LiveServer) -> int:
    with urllib.request.urlopen(server.url + "/tasks", timeout=5) as response:
        return int(json.loads(response.read())["tasks"])


def test_handler_errors_and_disconnects_leave_no_task(server: LiveServer) -> None:
    baseline = server_tasks(server)

    async def churn() -> None:
        for _ in range(5):
            async with websockets_client.connect(ws_url(server, "/broken")) as ws:
                await ws.send("boom")
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
            waiting = await websockets_client.connect(ws_url(server, "/waiting"))
            waiting.transport.abort()  # gone without a close frame
            async with websockets_client.connect(ws_url(server, "/echo")) as ws:
                await ws.send("hi")
                await ws.recv()

    run(churn())
    deadline = time.monotonic() + 5
    while server_tasks(server) > baseline and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server_tasks(server) == baseline
