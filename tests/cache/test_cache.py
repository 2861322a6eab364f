"""The cache API on both backends, and @cache_page over sockets: what is stored, for whom."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastcore import App, Request, RouteGroup
from fastcore.cache import BaseCache, Caching, MemoryCache, RedisCache, cache_page
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Middleware
from fastcore.responses import Response
from fastcore.testing import LiveServer
from tests.security.helpers import redis_available, unique_prefix
from tests.staticfiles.support import fetch
from tests.staticfiles.test_collectstatic import run_cli

needs_redis = pytest.mark.skipif(not redis_available(), reason="no Redis server on 127.0.0.1:6379")


async def _exercise(cache: BaseCache) -> None:
    assert await cache.get("missing") is None
    assert await cache.get("missing", "fallback") == "fallback"
    for value in (b"\x00raw bytes", "text", 42, -7, 3.5, True, None, [1, "a"], {"k": [1, 2]}):
        await cache.set("key", value)
        assert await cache.get("key", "absent") == value
    assert await cache.delete("key") is True
    assert await cache.delete("key") is False
    assert await cache.add("once", 1) is True
    assert await cache.add("once", 2) is False
    assert await cache.get("once") == 1
    assert await cache.incr("counter") == 1
    assert await cache.incr("counter", 10) == 11
    assert await cache.get("counter") == 11
    calls: list[int] = []

    async def compute() -> str:
        calls.append(1)
        return "computed"

    assert await cache.get_or_set("lazy", compute) == "computed"
    assert await cache.get_or_set("lazy", compute) == "computed"
    assert calls == [1]
    await cache.set("short", "v", timeout=0.05)
    await asyncio.sleep(0.15)
    assert await cache.get("short") is None


def test_memory_cache_api() -> None:
    asyncio.run(_exercise(MemoryCache()))


def test_memory_cache_evicts_the_least_recently_used() -> None:
    async def scenario() -> None:
        cache = MemoryCache(max_entries=2)
        await cache.set("a", 1)
        await cache.set("b", 2)
        await cache.get("a")
        await cache.set("c", 3)
        assert (await cache.get("a"), await cache.get("b"), await cache.get("c")) == (1, None, 3)

    asyncio.run(scenario())


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = unique_prefix("cache")
    yield prefix

    async def cleanup() -> None:
        cache = RedisCache(prefix="")
        keys = [key async for key in cache.client.scan_iter(match=prefix + "*")]
        if keys:
            await cache.client.delete(*keys)
        await cache.close()

    asyncio.run(cleanup())


@pytest.mark.redis
@needs_redis
def test_redis_cache_api(redis_prefix: str) -> None:
    async def scenario() -> None:
        cache = RedisCache(prefix=redis_prefix)
        try:
            await _exercise(cache)
        finally:
            await cache.close()

    asyncio.run(scenario())


CHILD = """
import asyncio, sys
from fastcore.cache import RedisCache

async def main():
    cache = RedisCache(prefix=sys.argv[1])
    await cache.set("from-child", {"pid": sys.argv[2]})
    for _ in range(200):
        await cache.incr("shared")
    await cache.close()

asyncio.run(main())
"""


@pytest.mark.redis
@needs_redis
def test_redis_cache_is_shared_by_processes(redis_prefix: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), redis_prefix, "child-7"],
    )

    async def here() -> dict[str, Any]:
        cache = RedisCache(prefix=redis_prefix)
        for _ in range(200):
            await cache.incr("shared")
        await cache.close()
        return {}

    asyncio.run(here())
    assert child.wait(timeout=60) == 0

    async def read() -> tuple[Any, Any]:
        cache = RedisCache(prefix=redis_prefix)
        try:
            return await cache.get("shared"), await cache.get("from-child")
        finally:
            await cache.close()

    assert asyncio.run(read()) == (400, {"pid": "child-7"})  # no increment lost


# -- @cache_page over sockets -------------------------------------------------------


class _User:
    def __init__(self, pk: int) -> None:
        self.pk = pk
        self.is_authenticated = True


class _Anonymous:
    pk = None
    is_authenticated = False


class HeaderLogin(Middleware):
    """A stand-in for the auth middleware: ``x-user: 5`` logs user 5 in."""

    async def __call__(self, request: Request) -> Response:
        user_id = request.headers.get("x-user")
        request.user = _User(int(user_id)) if user_id else _Anonymous()
        return await self.next(request)


def page_app(backend: BaseCache, renders: list[str]) -> App:
    app = App(security=False)
    app.install(Caching(backend))
    app.add_middleware(HeaderLogin)

    @app.get("/news")
    @cache_page(60, vary=["accept-language"])
    async def news(request: Request) -> Response:
        renders.append(request.headers.get("cookie", ""))
        who = request.headers.get("cookie", "anonymous")
        return Response(f"news #{len(renders)} for {who}", media_type="text/plain")

    @app.get("/mine")
    @cache_page(60, per_user=True)
    async def mine(request: Request) -> Response:
        renders.append("mine")
        return Response(f"user {request.user.pk} #{len(renders)}", media_type="text/plain")

    @app.get("/greeting")
    @cache_page(60)
    async def greeting(request: Request) -> Response:
        renders.append("greeting")
        response = Response(f"hello #{len(renders)}", media_type="text/plain")
        response.set_cookie("seen", "1")
        return response

    @app.get("/private")
    @cache_page(60)
    async def private(request: Request) -> Response:
        renders.append("private")
        return Response("p", media_type="text/plain", headers={"cache-control": "private"})

    return app


@pytest.fixture
def pages() -> Iterator[tuple[str, list[str]]]:
    renders: list[str] = []
    with LiveServer(page_app(MemoryCache(), renders)) as server:
        yield server.url, renders


def test_a_cached_page_is_served_without_rendering(pages: tuple[str, list[str]]) -> None:
    url, renders = pages
    first = fetch(url, "/news")
    second = fetch(url, "/news")
    assert first.body == second.body == b"news #1 for anonymous"
    assert second.header("x-cache") == "hit"
    assert second.header("content-type") == "text/plain; charset=utf-8"
    assert len(renders) == 1
    assert fetch(url, "/news?page=2").body == b"news #2 for anonymous"  # the query counts
    assert fetch(url, "/news", headers={"accept-language": "fr"}).body == b"news #3 for anonymous"


def test_visitors_with_different_cookies_never_share_an_entry(
    pages: tuple[str, list[str]],
) -> None:
    url, _ = pages
    alice = fetch(url, "/news", headers={"cookie": "session=alice"})
    bob = fetch(url, "/news", headers={"cookie": "session=bob"})
    assert alice.body.endswith(b"session=alice") and bob.body.endswith(b"session=bob")
    again = fetch(url, "/news", headers={"cookie": "session=alice"})
    assert again.body == alice.body and again.header("x-cache") == "hit"


def test_logged_in_users_are_not_cached_unless_asked(pages: tuple[str, list[str]]) -> None:
    url, renders = pages
    fetch(url, "/news", headers={"x-user": "5"})
    fetch(url, "/news", headers={"x-user": "5"})
    assert len(renders) == 2  # both rendered: never stored for a logged-in user
    five = fetch(url, "/mine", headers={"x-user": "5"})
    six = fetch(url, "/mine", headers={"x-user": "6"})
    assert five.body.startswith(b"user 5") and six.body.startswith(b"user 6")
    assert fetch(url, "/mine", headers={"x-user": "5"}).body == five.body
    assert fetch(url, "/mine", headers={"x-user": "6"}).body == six.body


def test_responses_with_cookies_or_private_are_never_stored(
    pages: tuple[str, list[str]],
) -> None:
    url, renders = pages
    first = fetch(url, "/greeting")
    second = fetch(url, "/greeting")
    assert first.header("set-cookie") and second.header("set-cookie")
    assert first.body != second.body and second.header("x-cache") is None
    fetch(url, "/private")
    fetch(url, "/private")
    assert renders.count("private") == 2


def test_cache_page_without_the_cache_fails_the_startup_checks_naming_route_and_fix() -> None:
    app = App(security=False)
    api = RouteGroup("/api")

    @app.get("/fine")
    async def fine() -> str:
        return "not cached"

    @api.get("/prices/{item}")
    @cache_page(10)
    async def prices(request: Request, item: str) -> str:
        return item

    app.include(api)
    [message] = app.run_checks()
    assert message.id == "extensions.E001" and message.level == "error"
    assert "route GET /api/prices/{item} uses @cache_page" in message.msg
    assert "app.install(Caching())" in message.hint
    with pytest.raises(ImproperlyConfigured, match=r"extensions\.E001.*/api/prices/\{item\}"):
        app.build_dispatch()  # the server never starts: no 500 on a first request


def test_cache_page_with_the_cache_installed_passes_the_checks() -> None:
    app = App(security=False)
    app.install(Caching())

    @app.get("/x")
    @cache_page(10)
    async def x(request: Request) -> str:
        return "x"

    assert app.run_checks() == []


def test_fastcore_check_names_the_route_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "uncached_app.py").write_text(
        textwrap.dedent(
            """
            from fastcore import App, Request, RouteGroup
            from fastcore.cache import cache_page

            app = App(security=False)

            @app.get("/news")
            @cache_page(60)
            async def news(request: Request) -> str:
                return "news"
            """
        )
    )
    result = run_cli(tmp_path, "check", "uncached_app:app")
    assert result.returncode == 1
    assert "extensions.E001" in result.stderr
    assert "route GET /news uses @cache_page, which needs the 'cache' extension" in result.stderr
    assert "app.install(Caching())" in result.stderr


@pytest.mark.redis
@needs_redis
def test_redis_page_cache_is_shared_by_two_servers(redis_prefix: str) -> None:
    first_renders: list[str] = []
    second_renders: list[str] = []
    with (
        LiveServer(page_app(RedisCache(prefix=redis_prefix), first_renders)) as one,
        LiveServer(page_app(RedisCache(prefix=redis_prefix), second_renders)) as two,
    ):
        rendered = fetch(one.url, "/news", headers={"cookie": "s=1"})
        served = fetch(two.url, "/news", headers={"cookie": "s=1"})
    assert served.body == rendered.body and served.header("x-cache") == "hit"
    assert (len(first_renders), len(second_renders)) == (1, 0)
