"""Server lifecycle in-process: app detection, lifespan, graceful drain, config checks."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from fastcore.exceptions import ImproperlyConfigured
from fastcore.responses import PlainTextResponse, Response
from fastcore.server import ASGIAdapter, ServerConfig
from fastcore.server.serve import resolve_app
from fastcore.types import Receive, Scope, Send
from tests.integration.helpers import DispatchApp, HttpReader, LiveServer, get


def test_resolve_app_tells_native_from_asgi() -> None:
    native = DispatchApp(lambda request: None)
    assert resolve_app(native) is native

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    assert isinstance(resolve_app(asgi), ASGIAdapter)
    with pytest.raises(TypeError):
        resolve_app(42)


def test_graceful_shutdown_drains_busy_and_closes_idle_connections() -> None:
    entered = threading.Event()
    release = asyncio.Event()

    async def slow(request: Any) -> Response:
        entered.set()
        await release.wait()
        return PlainTextResponse("finished")

    app = DispatchApp(slow)
    server = LiveServer(app, ServerConfig(graceful_timeout=5)).start()
    idle = server.connect()
    busy = server.connect()
    busy.sendall(get("/slow"))
    assert entered.wait(5)
    assert server.loop is not None and server.server is not None
    server.loop.call_soon_threadsafe(server.server.request_shutdown)
    # The idle connection closes at once; the busy one waits for its answer.
    assert HttpReader(idle).read_all_until_close(3) == b""
    server.call(release.set)
    reader = HttpReader(busy)
    response = reader.read_response()
    assert response.body == b"finished"
    assert response.header("connection") == "close"
    assert reader.wait_closed()
    server.stop()
    idle.close()
    busy.close()
    assert app.started and app.stopped


def test_graceful_timeout_cuts_stuck_requests() -> None:
    async def stuck(request: Any) -> Response:
        await asyncio.sleep(60)
        return PlainTextResponse("never")

    server = LiveServer(DispatchApp(stuck), ServerConfig(graceful_timeout=0.2)).start()
    with server.connect() as sock:
        sock.sendall(get("/"))
        assert server.loop is not None and server.server is not None
        server.loop.call_soon_threadsafe(server.server.request_shutdown)
        assert HttpReader(sock).read_all_until_close(5) == b""
    server.stop()


def test_failed_asgi_lifespan_startup_stops_the_server() -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(Exception, match="no database"):
        LiveServer(failing, ServerConfig()).start()


@pytest.mark.parametrize(
    "options",
    [
        {"max_headers": 0},
        {"max_pipeline": 0},
        {"max_body": -1},
        {"keep_alive_timeout": 0},
        {"header_timeout": float("inf")},
        {"server_header": "x\r\ny"},
    ],
)
def test_invalid_server_config_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ImproperlyConfigured):
        ServerConfig(**options)


def test_tick_interval_follows_the_shortest_timeout() -> None:
    assert ServerConfig().tick_interval == 1.0
    assert ServerConfig(header_timeout=0.4).tick_interval == pytest.approx(0.1)
