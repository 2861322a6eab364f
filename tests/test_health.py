"""fastcore.health: /livez answers while the process serves; /readyz checks what the app uses."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from fastcore import App, Request
from fastcore.cache import Caching, RedisCache
from fastcore.health import Health
from fastcore.orm import Database
from fastcore.server import Server
from fastcore.testing import TestClient
from tests.orm.orm_support import PG_URL, postgres_unavailable


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there now


def test_liveness_checks_nothing_but_the_process() -> None:
    app = App(security=False)
    app.install(Health())
    with TestClient(app) as client:
        response = client.get("/livez")
        assert (response.status_code, response.text) == (200, "ok")
        assert client.get("/readyz").json() == {"status": "ok", "checks": {}}


def test_readiness_checks_the_app_s_database(tmp_path: Path) -> None:
    app = App(security=False)
    Database(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}").init_app(app)
    app.install(Health())
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_an_unreachable_redis_or_a_failing_check_makes_it_unready() -> None:
    app = App(security=False)
    app.install(Caching(RedisCache(f"redis://127.0.0.1:{closed_port()}/0")))
    health = Health(timeout=1.0)

    async def queue_ok() -> None:
        return None

    async def broken() -> None:
        raise RuntimeError("secret detail")

    health.add_check("queue", queue_ok)
    health.add_check("payments", broken)
    app.install(health)
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert client.get("/livez").status_code == 200  # still alive
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"redis": "failed", "queue": "ok", "payments": "failed"},
    }
    assert "secret" not in response.text


def test_paths_can_be_moved_or_left_out() -> None:
    app = App(security=False)
    app.install(Health(live="/health/live", ready=None))
    with TestClient(app) as client:
        assert client.get("/health/live").status_code == 200
        assert client.get("/readyz").status_code == 404


def test_readiness_checks_a_real_postgresql_and_redis() -> None:
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    app = App(security=False)
    Database(PG_URL).init_app(app)
    app.install(Caching(RedisCache("redis://127.0.0.1:6379/0")))  # only PING is sent
    app.install(Health())
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> bytes:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    return head + await reader.readexactly(length)


def test_readiness_answers_503_while_the_server_drains() -> None:
    app = App(security=False)
    app.install(Health())
    release = asyncio.Event()

    @app.get("/slow")
    async def slow(request: Request) -> str:
        await release.wait()
        return "done"

    async def scenario() -> None:
        server = Server(app, "127.0.0.1", 0)
        await server.start()
        probe = await asyncio.open_connection("127.0.0.1", server.port)
        busy = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            assert b" 200 " in (await _exchange(*probe, "/readyz")).split(b"\r\n")[0]
            busy[1].write(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await asyncio.sleep(0.1)  # the slow request is in flight
            draining = asyncio.ensure_future(server.shutdown())
            await asyncio.sleep(0.05)
            # The load balancer's keep-alive probe connection: told to stop
            # sending while the in-flight request finishes.
            answer = await _exchange(*probe, "/readyz")
            assert answer.split(b"\r\n")[0] == b"HTTP/1.1 503 Service Unavailable"
            assert answer.endswith(b'{"status":"draining","checks":{}}')
            release.set()
            assert (await busy[0].read()).endswith(b"done")
            await draining
        finally:
            for _, writer in (probe, busy):
                writer.close()
        assert app.draining
        # Started again (a live-server fixture reusing the app): ready again.
        server = Server(app, "127.0.0.1", 0)
        await server.start()
        assert not app.draining
        await server.shutdown()

    asyncio.run(scenario())
