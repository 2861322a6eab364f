"""fastcore.health: /livez answers while the process serves; /readyz checks what the app uses."""

from __future__ import annotations

import socket
from pathlib import Path

from fastcore import App
from fastcore.cache import Caching, RedisCache
from fastcore.health import Health
from fastcore.orm import Database
from fastcore.testing import TestClient


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
