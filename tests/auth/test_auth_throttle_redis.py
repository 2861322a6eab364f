"""Login throttling shared through Redis: two app instances (two workers) count together."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from fastcore.auth import LoginThrottle
from fastcore.middleware.rate_limit import RedisRateLimitStorage
from fastcore.testing import TestClient
from tests.auth.support import build_app, csrf_token_in
from tests.orm.orm_support import Target

redis = pytest.importorskip("redis", reason="redis is a test dependency")
pytestmark = pytest.mark.redis


def _redis_unavailable() -> str | None:
    try:
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        return f"Redis unreachable at 127.0.0.1:6379 ({type(exc).__name__}: {exc})"
    return None


def _attempt(client: TestClient, username: str) -> int:
    token = csrf_token_in(client.get("/accounts/login").text)
    return client.post(
        "/accounts/login",
        data={"csrf_token": token, "username": username, "password": "wrong"},
        follow_redirects=False,
    ).status_code


def test_two_workers_share_the_account_limit(tmp_path: Path) -> None:
    reason = _redis_unavailable()
    if reason is not None:
        pytest.skip(reason)
    prefix = f"fastcore-test:{uuid.uuid4().hex}:"
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    statuses: list[int] = []
    # One worker, then another: separate apps and storages, one Redis.
    for worker, attempts in enumerate((3, 2)):
        storage = RedisRateLimitStorage(prefix=prefix)
        throttle = LoginThrottle(per_account="4/minute", per_ip="100/minute", storage=storage)
        app, _ = build_app(
            Target("sqlite", url, {}), tmp_path / f"outbox{worker}", throttle=throttle
        )
        app.on_shutdown(storage.client.aclose)  # its connection lives on this client's loop
        with TestClient(app) as client:
            statuses += [_attempt(client, "shared-account") for _ in range(attempts)]
    assert statuses == [400, 400, 400, 400, 429]
