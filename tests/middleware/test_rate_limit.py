"""Rate limits: bursts past the limit get 429 with Retry-After, in memory and in Redis."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured, Request
from fastcore.middleware.rate_limit import (
    Limit,
    MemoryRateLimitStorage,
    RateLimitMiddleware,
    RedisRateLimitStorage,
    parse_limit,
    rate_limit,
)
from fastcore.testing import TestClient
from tests.security.helpers import delete_prefix, redis_available, unique_prefix

needs_redis = pytest.mark.skipif(not redis_available(), reason="no Redis server on 127.0.0.1:6379")


def limited_app(**options: Any) -> App:
    app = App(middleware=[(RateLimitMiddleware, options)])

    @app.get("/")
    async def index() -> str:
        return "ok"

    @app.post("/login")
    @rate_limit("2/minute")
    async def login() -> str:
        return "logged in"

    @app.get("/search")
    @rate_limit("3/minute", key=lambda request: request.headers.get("x-api-key", "anon"))
    async def search() -> str:
        return "results"

    return app


def test_parse_limit() -> None:
    assert parse_limit("10/minute") == Limit(10, 60)
    assert parse_limit("100 per hour") == Limit(100, 3600)
    assert parse_limit("5/30s") == Limit(5, 30)
    assert parse_limit("1/day") == Limit(1, 86400)
    for bad in ("ten/minute", "5/fortnight", "0/minute", ""):
        with pytest.raises(ImproperlyConfigured):
            parse_limit(bad)
    with pytest.raises(ImproperlyConfigured):
        rate_limit("1/minute", strategy="leaky")
    with pytest.raises(ImproperlyConfigured):
        rate_limit("1/minute", key="session")


def test_global_fixed_window_answers_429_with_headers() -> None:
    client = TestClient(limited_app(limit="3/minute"))
    responses = [client.get("/") for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert responses[0].headers["ratelimit-limit"] == "3"
    assert responses[0].headers["ratelimit-remaining"] == "2"
    assert 0 < int(responses[0].headers["ratelimit-reset"]) <= 60
    refused = responses[3]
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.json()["detail"] == "Too Many Requests"


def test_route_limits_by_decorator_and_custom_keys() -> None:
    client = TestClient(limited_app())
    assert [client.post("/login").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/").status_code == 200  # undecorated routes are not limited
    alice = [client.get("/search", headers={"x-api-key": "alice"}).status_code for _ in range(4)]
    assert alice == [200, 200, 200, 429]
    assert client.get("/search", headers={"x-api-key": "bob"}).status_code == 200


def test_token_bucket_allows_a_burst_then_refills() -> None:
    async def scenario() -> None:
        storage = MemoryRateLimitStorage()
        limit = Limit(3, 3)  # one token per second
        burst = [await storage.hit("k", limit, "token-bucket") for _ in range(4)]
        assert [hit.allowed for hit in burst] == [True, True, True, False]
        assert 0 < burst[-1].retry_after <= 1
        await asyncio.sleep(1.05)
        assert (await storage.hit("k", limit, "token-bucket")).allowed

    asyncio.run(scenario())


def test_user_key_falls_back_to_the_address() -> None:
    app = limited_app(limit="1/minute", key="user")

    @app.middleware_function
    async def fake_auth(request: Request, call_next: Any) -> Any:
        name = request.headers.get("x-user")
        request.user = type("User", (), {"id": name, "is_authenticated": True})() if name else None
        return await call_next(request)

    client = TestClient(app)
    # The auth middleware runs inside the limiter here, so users count by address.
    assert [client.get("/").status_code for _ in range(2)] == [200, 429]


@pytest.mark.redis
@needs_redis
def test_redis_strategies_are_atomic_and_expire() -> None:
    import redis

    prefix = unique_prefix("ratelimit")

    async def scenario() -> None:
        storage = RedisRateLimitStorage(prefix=prefix)
        try:
            hits = await asyncio.gather(
                *[storage.hit("burst", Limit(5, 60), "fixed-window") for _ in range(12)]
            )
            assert sum(hit.allowed for hit in hits) == 5
            bucket = [await storage.hit("tb", Limit(2, 60), "token-bucket") for _ in range(3)]
            assert [hit.allowed for hit in bucket] == [True, True, False]
            assert 0 < bucket[-1].retry_after <= 30
        finally:
            await storage.client.aclose()

    try:
        asyncio.run(scenario())
        sync = redis.Redis(host="127.0.0.1", port=6379)
        try:
            assert 0 < sync.pttl(prefix + "fw:burst") <= 60_000
            assert 0 < sync.pttl(prefix + "tb:tb") <= 60_000
        finally:
            sync.close()
    finally:
        delete_prefix(prefix)


WORKER = textwrap.dedent(
    """
    import sys
    from fastcore import App
    from fastcore.middleware.rate_limit import RateLimitMiddleware, RedisRateLimitStorage
    from fastcore.testing import LiveServer

    storage = RedisRateLimitStorage(prefix=sys.argv[1])
    app = App(middleware=[(RateLimitMiddleware, {"limit": "5/minute", "storage": storage})])

    @app.get("/")
    async def index():
        return "ok"

    with LiveServer(app) as server:
        print(server.port, flush=True)
        sys.stdin.read()
    """
)


@contextlib.contextmanager
def two_processes(script: str, prefix: str) -> Iterator[list[subprocess.Popen[str]]]:
    """Run ``script`` twice with ``prefix``; stop both (stdin closed) and clean Redis after."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            try:
                worker.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.communicate()
        delete_prefix(prefix)


@pytest.mark.redis
@needs_redis
def test_limit_is_shared_by_two_worker_processes_through_redis() -> None:
    with two_processes(WORKER, unique_prefix("workers")) as workers:
        ports = [int(worker.stdout.readline()) for worker in workers]  # type: ignore[union-attr]
        statuses: dict[int, list[int]] = {port: [] for port in ports}
        for attempt in range(10):
            port = ports[attempt % 2]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    statuses[port].append(response.status)
            except urllib.error.HTTPError as exc:
                statuses[port].append(exc.code)
        everything = statuses[ports[0]] + statuses[ports[1]]
        assert everything.count(200) == 5 and everything.count(429) == 5
        # Both processes served some of the five: the count really is shared.
        assert 200 in statuses[ports[0]] and 200 in statuses[ports[1]]


CLIENT_WORKER = textwrap.dedent(
    """
    import sys
    from fastcore import App
    from fastcore.middleware.rate_limit import RateLimitMiddleware, RedisRateLimitStorage
    from fastcore.testing import TestClient

    storage = RedisRateLimitStorage(prefix=sys.argv[1])
    app = App(
        middleware=[(RateLimitMiddleware, {"limit": "5/minute", "storage": storage})],
        on_shutdown=[storage.client.aclose],
    )

    @app.get("/")
    async def index():
        return "ok"

    with TestClient(app) as client:
        print("ready", flush=True)
        sys.stdin.readline()  # both processes start counting together
        print(" ".join(str(client.get("/").status_code) for _ in range(5)), flush=True)
    """
)


@pytest.mark.redis
@needs_redis
def test_limit_is_shared_by_two_test_client_processes_through_redis() -> None:
    with two_processes(CLIENT_WORKER, unique_prefix("clients")) as workers:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"  # type: ignore[union-attr]
        for worker in workers:
            worker.stdin.write("go\n")  # type: ignore[union-attr]
            worker.stdin.flush()  # type: ignore[union-attr]
        outputs = [worker.communicate(timeout=30)[0].split() for worker in workers]
        everything = outputs[0] + outputs[1]
        assert len(everything) == 10
        assert everything.count("200") == 5 and everything.count("429") == 5
