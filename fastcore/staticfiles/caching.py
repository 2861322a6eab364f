"""HTTP caching of dynamic responses: Cache-Control decorators and conditional GET.

- :func:`cache_control` sets ``Cache-Control`` on a handler's responses;
  :func:`never_cache` forbids storing them anywhere.
- :class:`ConditionalGet` gives every complete GET / HEAD answer an
  ``ETag`` (a hash of its body) unless it has one, and answers ``304 Not
  Modified`` when the client's ``If-None-Match`` / ``If-Modified-Since``
  still holds (``412`` for a failed ``If-Match``): the page is still
  rendered, but not sent again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastcore.concurrency import run_in_threadpool
from fastcore.handlers import is_async_callable, to_response
from fastcore.middleware_base import Middleware
from fastcore.responses import Response
from fastcore.staticfiles.http import evaluate_preconditions, make_etag, parse_http_date

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["ConditionalGet", "cache_control", "cache_control_value", "never_cache"]

F = TypeVar("F", bound=Callable[..., Any])

#: What a 304 keeps of the 200 it replaces (RFC 9110 section 15.4.5).
_KEPT_ON_304 = ("cache-control", "content-location", "date", "etag", "expires", "vary")


def cache_control_value(**directives: bool | int | str) -> str:
    """A ``Cache-Control`` value: ``max_age=60, public=True`` -> ``max-age=60, public``.

    True gives a bare directive, False leaves it out, a number or text a
    ``name=value`` pair; underscores become dashes.
    """
    parts: list[str] = []
    for name, value in directives.items():
        directive = name.replace("_", "-").lower()
        if value is True:
            parts.append(directive)
        elif value is False:
            continue
        elif isinstance(value, int) and value >= 0:
            parts.append(f"{directive}={value}")
        elif isinstance(value, str) and value and all(ch.isalnum() or ch in "-_" for ch in value):
            parts.append(f'{directive}="{value}"')
        else:
            raise ValueError(f"cache_control({name}={value!r}): not a valid directive value")
    if not parts:
        raise ValueError("cache_control() needs at least one directive")
    return ", ".join(parts)


def _with_header(name: str, value: str, extra: dict[str, str] | None = None) -> Callable[[F], F]:
    def decorator(endpoint: F) -> F:
        is_async = is_async_callable(endpoint)

        @functools.wraps(endpoint)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if is_async:
                result = await endpoint(*args, **kwargs)
            else:
                result = await run_in_threadpool(endpoint, *args, **kwargs)
            response = result if isinstance(result, Response) else to_response(result)
            response.headers[name] = value
            for key, item in (extra or {}).items():
                response.headers[key] = item
            return response

        return wrapper  # type: ignore[return-value]

    return decorator


def cache_control(**directives: bool | int | str) -> Callable[[F], F]:
    """Set ``Cache-Control`` on a handler's responses: ``@cache_control(max_age=300)``.

    The handler's return value is turned into a response right away (as the
    route would), so put the decorator below the route decorator.
    """
    return _with_header("cache-control", cache_control_value(**directives))


def never_cache(endpoint: F) -> F:
    """Forbid every cache (browser, proxy, CDN) to store a handler's responses."""
    return _with_header(
        "cache-control",
        "no-cache, no-store, must-revalidate, max-age=0, private",
        {"expires": "0"},
    )(endpoint)


class ConditionalGet(Middleware):
    """ETags for complete GET / HEAD responses, and 304 when the client has them."""

    inline_safe = True

    async def __call__(self, request: Request) -> Response:
        """Call the next layer, then answer 304 / 412 if the preconditions say so."""
        response = await self.next(request)
        method = request.method
        if method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        headers = response.headers
        etag = headers.get("etag")
        if etag is None:
            body = response.body
            if body is None or "no-store" in headers.get("cache-control", ""):
                return response  # streamed, or never to be kept: nothing to validate
            etag = make_etag(bytes(body))
            headers["etag"] = etag
        modified = headers.get("last-modified")
        last_modified = parse_http_date(modified) if modified is not None else None
        verdict = evaluate_preconditions(method, request.headers, etag, last_modified)
        if verdict is None:
            return response
        if verdict == 304:
            kept = {name: headers[name] for name in _KEPT_ON_304 if name in headers}
            if modified is not None:
                kept["last-modified"] = modified
            return Response(b"", status_code=304, headers=kept)
        return Response(b"", status_code=412)
