"""The per-view cache: ``@cache_page(60)`` stores a handler's answers in the app's cache.

What it stores, and for whom, errs on the side of not leaking:

- only complete ``200`` answers to GET / HEAD, without ``Set-Cookie`` and
  without ``private`` / ``no-store`` in ``Cache-Control``;
- the key holds the method family (HEAD shares GET's entry), the path and
  query, the request's ``Cookie`` header (a visitor with a session never
  gets another visitor's page: it may hold their CSRF token or name) and the
  headers listed in ``vary``;
- a logged-in user's requests (``request.user.is_authenticated``) and
  requests with ``Authorization`` pass through uncached, unless
  ``per_user=True``: then the user's id is part of the key too.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from fastcore.cache.backends import BaseCache, MemoryCache
from fastcore.concurrency import run_in_threadpool
from fastcore.exceptions import ImproperlyConfigured
from fastcore.extensions import Extension, require_extension
from fastcore.handlers import is_async_callable, to_response
from fastcore.requests import Request
from fastcore.responses import Response

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["Caching", "cache_page"]

F = TypeVar("F", bound=Callable[..., Any])


class Caching(Extension):
    """The app's cache: ``request.cache`` and the store of :func:`cache_page`.

    Args:
        backend: A :class:`~fastcore.cache.MemoryCache` (the default) or
            :class:`~fastcore.cache.RedisCache`.
    """

    name = "cache"

    def __init__(self, backend: BaseCache | None = None) -> None:
        self.backend = backend if backend is not None else MemoryCache()

    def init_app(self, app: App) -> None:
        """Give requests ``request.cache``; close the backend's connections at shutdown."""
        app.add_request_attribute("cache", lambda request: self.backend)
        app.on_shutdown(self.close)

    async def close(self) -> None:
        """Close the backend's connections (a Redis client's pool), if it has any."""
        close = getattr(self.backend, "close", None)
        if close is not None:
            await close()


def _backend_of(request: Request) -> BaseCache:
    extension = request.app.extensions.get("cache") if request.app is not None else None
    if not isinstance(extension, Caching):
        raise ImproperlyConfigured("@cache_page needs the cache: app.install(Caching(...))")
    return extension.backend


def _user_of(request: Request) -> Any:
    try:
        return request.user
    except ImproperlyConfigured:
        return None  # no authentication middleware: every visitor is anonymous


def _request_in(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request:
    for value in (*args, *kwargs.values()):
        if isinstance(value, Request):
            return value
    raise ImproperlyConfigured("@cache_page needs a handler that takes the request parameter")


def _key(request: Request, vary: tuple[str, ...], user_id: Any) -> str:
    headers = request.headers
    parts = [
        "GET" if request.method == "HEAD" else request.method,
        request.raw_path,
        request.query_string,
        headers.get("cookie", ""),
        *(headers.get(name, "") for name in vary),
        "" if user_id is None else f"user:{user_id}",
    ]
    digest = hashlib.sha256("\x00".join(map(str, parts)).encode("utf-8", "surrogateescape"))
    return "page:" + digest.hexdigest()


def _storable(response: Response) -> bool:
    if response.status_code != 200 or response.body is None:
        return False
    headers = response.headers
    control = headers.get("cache-control", "").lower()
    return "set-cookie" not in headers and "private" not in control and "no-store" not in control


def cache_page(
    timeout: float, *, vary: Iterable[str] = (), per_user: bool = False
) -> Callable[[F], F]:
    """Cache a handler's answers for ``timeout`` seconds (see the module's rules).

    The handler must take the request; put the decorator below the route's.
    """
    headers_varied = tuple(name.lower() for name in vary)
    if timeout <= 0:
        raise ValueError("cache_page timeout must be > 0 seconds")

    def decorator(endpoint: F) -> F:
        is_async = is_async_callable(endpoint)

        async def call(*args: Any, **kwargs: Any) -> Response:
            result = (
                await endpoint(*args, **kwargs)
                if is_async
                else await run_in_threadpool(endpoint, *args, **kwargs)
            )
            return result if isinstance(result, Response) else to_response(result)

        @functools.wraps(endpoint)
        async def wrapper(*args: Any, **kwargs: Any) -> Response:
            request = _request_in(args, kwargs)
            if request.method not in ("GET", "HEAD"):
                return await call(*args, **kwargs)
            user = _user_of(request)
            user_id = None
            if getattr(user, "is_authenticated", False) or "authorization" in request.headers:
                if not per_user:
                    return await call(*args, **kwargs)
                user_id = getattr(user, "pk", None) or getattr(user, "id", None)
                if user_id is None:
                    return await call(*args, **kwargs)  # no id to keep users apart
            backend = _backend_of(request)
            key = _key(request, headers_varied, user_id)
            stored = await backend.get(key)
            if isinstance(stored, dict):
                headers = [(str(name), str(value)) for name, value in stored["headers"]]
                headers.append(("x-cache", "hit"))
                return Response(bytes.fromhex(stored["body"]), headers=headers)
            response = await call(*args, **kwargs)
            body = response.body
            if body is not None and _storable(response):
                entry = {
                    "headers": [
                        (name.decode("latin-1"), value.decode("latin-1"))
                        for name, value in response.raw_headers
                    ],
                    "body": bytes(body).hex(),
                }
                await backend.set(key, entry, timeout)
            return response

        # Without the cache installed, the app refuses to start and names this route.
        return require_extension(  # type: ignore[return-value]
            wrapper,
            Caching.name,
            needed_by="@cache_page",
            fix=(
                "install the cache: app.install(Caching()) for one process's memory, or "
                "app.install(Caching(RedisCache(url))) shared by workers "
                "(from fastcore.cache import Caching, RedisCache)"
            ),
        )

    return decorator
