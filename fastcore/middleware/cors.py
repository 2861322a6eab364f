"""CORS: which other origins may call this app from a browser, and how.

Answers preflight requests (``OPTIONS`` with ``Access-Control-Request-Method``)
itself and adds ``Access-Control-Allow-Origin`` to the responses of allowed
origins. Follows the Fetch standard's credential rules: with
``allow_credentials`` the origin is echoed, never ``*`` (browsers refuse
``*`` on credentialed requests), so ``allow_origins=["*"]`` together with
credentials is refused at startup. Whenever the answer depends on the
``Origin`` header the response says ``Vary: Origin``, so caches keep
per-origin copies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware
from fastcore.responses import PlainTextResponse, Response

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["CORSMiddleware"]


def _add_vary(response: Response, value: str) -> None:
    raw = response.raw_headers
    for index, (name, existing) in enumerate(raw):
        if name == b"vary":
            if value.lower().encode() not in existing.lower():
                raw[index] = (name, existing + b", " + value.encode())
            return
    raw.append((b"vary", value.encode()))


class CORSMiddleware(Middleware):
    """Cross-origin resource sharing by configuration.

    Args:
        allow_origins: Exact origins (``https://app.example.com``) or ``*``.
        allow_origin_regex: Patterns an origin must match in full
            (``r"https://.*\\.example\\.com"``).
        allow_methods: Methods allowed in preflights (``*`` for any).
        allow_headers: Request headers allowed in preflights (``*`` for any).
        allow_credentials: Allow cookies and HTTP authentication.
        expose_headers: Response headers scripts may read.
        max_age: Seconds a browser may cache a preflight answer.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(
        self,
        next: Handler,
        *,
        allow_origins: Iterable[str] = (),
        allow_origin_regex: Iterable[str] | str = (),
        allow_methods: Iterable[str] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"),
        allow_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        expose_headers: Iterable[str] = (),
        max_age: int = 600,
    ) -> None:
        super().__init__(next)
        origins = [origin.rstrip("/") for origin in allow_origins]
        patterns = (
            [allow_origin_regex]
            if isinstance(allow_origin_regex, str)
            else list(allow_origin_regex)
        )
        self.allow_all_origins = "*" in origins
        if self.allow_all_origins and allow_credentials:
            raise ImproperlyConfigured(
                "CORS: allow_origins=['*'] with allow_credentials=True is forbidden by the "
                "Fetch standard; list the origins (or use allow_origin_regex)"
            )
        if not origins and not patterns:
            raise ImproperlyConfigured("CORSMiddleware needs allow_origins or allow_origin_regex")
        self.origins = frozenset(origins)
        try:
            self.patterns = [re.compile(pattern) for pattern in patterns]
        except re.error as exc:
            raise ImproperlyConfigured(f"CORS allow_origin_regex: {exc}") from exc
        methods = [method.upper() for method in allow_methods]
        self.allow_all_methods = "*" in methods
        self.methods = frozenset(methods)
        headers = [header.lower() for header in allow_headers]
        self.allow_all_headers = "*" in headers
        self.headers = frozenset(headers)
        self.credentials = allow_credentials
        self.expose = ", ".join(expose_headers)
        self.max_age = str(max_age)

    def origin_allowed(self, origin: str) -> bool:
        """Tell whether ``origin`` may make cross-origin requests."""
        if self.allow_all_origins or origin in self.origins:
            return True
        return any(pattern.fullmatch(origin) for pattern in self.patterns)

    async def __call__(self, request: Request) -> Response:
        """Answer preflights; add CORS headers to responses for allowed origins."""
        headers = request.headers
        origin = headers.get("origin")
        if origin is None:
            return await self.next(request)
        if request.method == "OPTIONS" and "access-control-request-method" in headers:
            return self._preflight(request, origin)
        response = await self.next(request)
        if self.origin_allowed(origin):
            self._allow_origin(response, origin)
            if self.expose:
                response.raw_headers.append(
                    (b"access-control-expose-headers", self.expose.encode("latin-1"))
                )
        elif not self.allow_all_origins:
            _add_vary(response, "Origin")
        return response

    def _allow_origin(self, response: Response, origin: str) -> None:
        raw = response.raw_headers
        if self.allow_all_origins:
            raw.append((b"access-control-allow-origin", b"*"))
            return
        raw.append((b"access-control-allow-origin", origin.encode("latin-1")))
        if self.credentials:
            raw.append((b"access-control-allow-credentials", b"true"))
        _add_vary(response, "Origin")

    def _preflight(self, request: Request, origin: str) -> Response:
        headers = request.headers
        method = headers["access-control-request-method"].strip().upper()
        requested = [
            item.strip().lower()
            for item in headers.get("access-control-request-headers", "").split(",")
            if item.strip()
        ]
        problem = None
        if not self.origin_allowed(origin):
            problem = f"origin {origin} is not allowed"
        elif not (self.allow_all_methods or method in self.methods):
            problem = f"method {method} is not allowed"
        elif not self.allow_all_headers and any(h not in self.headers for h in requested):
            refused = [h for h in requested if h not in self.headers]
            problem = f"header(s) {', '.join(refused)} not allowed"
        if problem is not None:
            # No Access-Control-Allow-Origin: the browser blocks the real request.
            response: Response = PlainTextResponse(
                f"CORS preflight refused: {problem}", status_code=400
            )
            _add_vary(response, "Origin")
            return response
        response = Response(status_code=204)
        self._allow_origin(response, origin)
        raw = response.raw_headers
        if self.allow_all_methods:
            # With credentials "*" is literal to browsers: echo the asked method instead.
            allowed = method if self.credentials else "*"
        else:
            allowed = ", ".join(sorted(self.methods))
        raw.append((b"access-control-allow-methods", allowed.encode("latin-1")))
        if requested:
            # Echo rather than "*": "*" never covers Authorization, nor anything
            # at all on a credentialed request.
            allowed_headers = requested if self.allow_all_headers else sorted(self.headers)
            raw.append(
                (b"access-control-allow-headers", ", ".join(allowed_headers).encode("latin-1"))
            )
        raw.append((b"access-control-max-age", self.max_age.encode()))
        return response
