"""The App's WebSockets under uvicorn, through the ASGI websocket scope, over a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from fastcore import App
from fastcore.realtime import WebSocket

uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is a test dependency (ASGI interop)")
websockets_client = pytest.importorskip("websockets.asyncio.client", reason="the websockets peer")
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402


@contextlib.contextmanager
def serve_with_uvicorn(app: App) -> Iterator[int]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


def make_app() -> App:
    app = App(security=False)

    @app.websocket("/echo/{number:int}")
    async def echo(ws: WebSocket, number: int) -> None:
        await ws.accept(subprotocol="v1" if "v1" in ws.subprotocols else None)
        async for message in ws:
            text = message if isinstance(message, str) else message.hex()
            await ws.send_json({"number": number + 1, "message": text})

    @app.websocket("/broken")
    async def broken(ws: WebSocket) -> None:
        await ws.accept()
        await ws.receive()
        raise RuntimeError("handler bug")

    @app.websocket("/refuse")
    async def refuse(ws: WebSocket) -> None:
        return None

    return app


def run(coro: object) -> object:
    return asyncio.run(asyncio.wait_for(coro, 10))  # type: ignore[arg-type]


def test_websockets_run_under_uvicorn(caplog: pytest.LogCaptureFixture) -> None:
    with serve_with_uvicorn(make_app()) as port:
        base = f"ws://127.0.0.1:{port}"

        async def echo() -> list[object]:
            async with websockets_client.connect(base + "/echo/41", subprotocols=["v1"]) as ws:
                await ws.send("hello")
                first = await ws.recv()
                await ws.send(b"\x00bytes")
                second = await ws.recv()
                return [ws.subprotocol, first, second]

        assert run(echo()) == [
            "v1",
            '{"number":42,"message":"hello"}',
            '{"number":42,"message":"006279746573"}',
        ]

        async def broken() -> int | None:
            async with websockets_client.connect(base + "/broken") as ws:
                await ws.send("boom")
                with pytest.raises(ConnectionClosed) as info:
                    await ws.recv()
                return info.value.rcvd.code if info.value.rcvd else None

        with caplog.at_level(logging.ERROR, logger="fastcore.realtime"):
            assert run(broken()) == 1011
        assert "handler bug" in caplog.text

        for path in ("/refuse", "/nowhere"):
            with pytest.raises(InvalidStatus) as info:
                run(websockets_client.connect(base + path).__aenter__())
            assert info.value.response.status_code in (403, 404)
