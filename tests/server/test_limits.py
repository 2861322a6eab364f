"""--limit-concurrency and --max-connections: 503 with Retry-After beyond them, others served."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from fastcore.exceptions import ImproperlyConfigured
from fastcore.responses import PlainTextResponse, Response
from fastcore.server import ServerConfig
from tests.integration.helpers import DispatchApp, HttpReader, LiveServer, get


def test_requests_beyond_the_concurrency_limit_get_503_with_retry_after() -> None:
    release = asyncio.Event()
    entered = threading.Semaphore(0)

    async def slow(request: Any) -> Response:
        if request.path == "/slow":
            entered.release()
            await release.wait()
        return PlainTextResponse("done")

    server = LiveServer(DispatchApp(slow), ServerConfig(limit_concurrency=2)).start()
    try:
        busy = [server.connect() for _ in range(2)]
        for sock in busy:
            sock.sendall(get("/slow"))
        assert entered.acquire(timeout=5) and entered.acquire(timeout=5)
        third = server.connect()
        third.sendall(get("/slow"))
        refused = HttpReader(third).read_response()
        assert refused.status == 503
        assert refused.header("retry-after") == "1"
        assert refused.header("connection") == "close"
        assert HttpReader(third).wait_closed()
        server.call(release.set)
        for sock in busy:
            assert HttpReader(sock).read_response().body == b"done"
        # The limit counts requests in progress: with those done, served again.
        again = server.connect()
        again.sendall(get("/fast"))
        assert HttpReader(again).read_response().status == 200
        for sock in [*busy, third, again]:
            sock.close()
    finally:
        server.stop()


def test_connections_beyond_max_connections_get_503_and_are_closed() -> None:
    async def hello(request: Any) -> Response:
        return PlainTextResponse("ok")

    app = DispatchApp(hello)
    server = LiveServer(app, ServerConfig(max_connections=2)).start()
    try:
        kept = [server.connect() for _ in range(2)]
        for sock in kept:
            sock.sendall(get("/"))
            assert HttpReader(sock).read_response().status == 200
        extra = server.connect()
        reader = HttpReader(extra)
        refused = reader.read_response()
        assert refused.status == 503 and refused.header("retry-after") == "1"
        assert reader.wait_closed()
        kept[0].close()
        # A slot freed: a new connection is served.
        for _ in range(50):  # bounded: the server notices the close
            if server.connection_count < 2:
                break
            threading.Event().wait(0.02)
        fresh = server.connect()
        fresh.sendall(get("/"))
        assert HttpReader(fresh).read_response().status == 200
        for sock in [*kept, extra, fresh]:
            sock.close()
    finally:
        server.stop()


@pytest.mark.parametrize("field", ["limit_concurrency", "max_connections"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=field):
        ServerConfig(**{field: 0})
