"""Where the demo keeps the state its processes share: Redis when ``REDIS_URL`` is set.

One instance of the demo keeps sessions in signed cookies, and its rate limits
and cache in each worker's memory. Several instances behind a load balancer
(docs/deployment.md) need one place for them, so with ``REDIS_URL`` set:

- sessions live in Redis (a user logged in on one instance is logged in on all);
- the rate limiter and the login throttle count there (a limit holds across instances);
- the cache is there (a page cached by one instance is served by all);
- each request gets an id (``x-request-id``), the one the proxy in front sent
  when it is one of ``FASTCORE_TRUSTED_PROXIES``.

``REDIS_PREFIX`` (default ``fastcore-demo:``) starts every key, so several apps
can share one Redis.
"""

from __future__ import annotations

from fastcore.cache import BaseCache, MemoryCache, RedisCache
from fastcore.config import Settings
from fastcore.middleware.rate_limit import RedisRateLimitStorage
from fastcore.middleware.request_id import RequestIdMiddleware
from fastcore.middleware_base import MiddlewareSpec
from fastcore.security.default_layers import default_middleware
from fastcore.security.session_backends import RedisSessionStore

__all__ = ["cache_backend", "security_middleware"]


def security_middleware(
    settings: Settings, redis_url: str | None, prefix: str
) -> list[MiddlewareSpec]:
    """The default security stack, with sessions and rate limits in Redis when a URL is given.

    Without a URL this is empty: the app then gets the default stack when it is built.
    """
    if not redis_url:
        return []
    # Outermost, so that the peer it judges is still the proxy.
    request_id = MiddlewareSpec(RequestIdMiddleware, {"trusted_proxies": settings.trusted_proxies})
    return [
        request_id,
        *default_middleware(
            settings=settings,
            sessions={"backend": RedisSessionStore(redis_url, prefix=f"{prefix}session:")},
            rate_limit_storage=RedisRateLimitStorage(redis_url, prefix=f"{prefix}ratelimit:"),
        ),
    ]


def cache_backend(redis_url: str | None, prefix: str) -> BaseCache:
    """The cache: in Redis when a URL is given, else in each process's memory."""
    if not redis_url:
        return MemoryCache()
    return RedisCache(redis_url, prefix=f"{prefix}cache:")
