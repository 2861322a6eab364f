"""Per-route request body limits, below the server's global one.

::

    app.add_middleware(BodyLimitMiddleware, max_body_size=1_000_000)   # default for all

    @app.post("/avatar")
    @body_limit(5_000_000)                                              # this route
    async def upload(request: Request): ...

A declared ``Content-Length`` over the limit is answered 413 before a byte of
the body is read. A chunked body is counted while it streams in, and reading
past the limit raises a 413 from ``request.body()`` / ``request.stream()``, so
an oversize upload is never buffered whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastcore.error_handlers import default_error_response
from fastcore.exceptions import HTTPException, ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware
from fastcore.routing.marks import endpoint_for, get_option, routes_with_option, set_option

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["BodyLimitMiddleware", "body_limit"]

F = TypeVar("F", bound=Callable[..., Any])


def body_limit(max_bytes: int) -> Callable[[F], F]:
    """Limit one handler's request body to ``max_bytes`` (enforced by BodyLimitMiddleware)."""
    if max_bytes < 0:
        raise ImproperlyConfigured("a body limit cannot be negative")

    def decorator(endpoint: F) -> F:
        return set_option(endpoint, "body_limit", max_bytes)

    return decorator


class _LimitedReader:
    """Wraps a body reader and fails with 413 once more than ``limit`` bytes came."""

    __slots__ = ("_reader", "_left", "_limit")

    def __init__(self, reader: Any, limit: int) -> None:
        self._reader = reader
        self._left = limit
        self._limit = limit

    def read_nowait(self) -> bytes | None:
        chunk: bytes | None = self._reader.read_nowait()
        if chunk:
            self._left -= len(chunk)
            if self._left < 0:
                raise HTTPException(413, f"The request body is larger than {self._limit} bytes.")
        return chunk

    def wait(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = self._reader.wait()
        return future


class BodyLimitMiddleware(Middleware):
    """Refuse request bodies over the route's limit (413).

    Args:
        max_body_size: The default limit in bytes (None: only decorated routes).
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(self, next: Handler, *, max_body_size: int | None = None) -> None:
        super().__init__(next)
        if max_body_size is not None and max_body_size < 0:
            raise ImproperlyConfigured("max_body_size cannot be negative")
        self.max_body_size = max_body_size
        self._routes_limited: bool | None = None

    def refusal(self, request: Request) -> Response | None:
        """The 413 for a declared length over the limit, or None (a chunked body is counted)."""
        if request.content_length == -1 and not request.chunked:
            return None  # no body
        if self._routes_limited is None:
            self._routes_limited = routes_with_option(request, "body_limit")
        limit = self.max_body_size
        if self._routes_limited:
            limit = get_option(endpoint_for(request), "body_limit", limit)
        if limit is None:
            return None
        if request.content_length > limit:
            return default_error_response(
                request, 413, f"The request body is larger than {limit} bytes."
            )
        if request.chunked and request.body_reader is not None:
            request.body_reader = _LimitedReader(request.body_reader, limit)
        return None

    async def __call__(self, request: Request) -> Response:
        """Check the declared length, or count the body as it is read."""
        refused = self.refusal(request)
        if refused is not None:
            return refused
        return await self.next(request)
