"""CSRF protection: a per-session token required on every unsafe request.

A cross-site page can make a browser POST to this app with the user's
cookies, but cannot read the token the app put in its own pages. Every POST,
PUT, PATCH and DELETE must therefore carry the session's token, either as the
``csrf_token`` form field (urlencoded and multipart forms) or as the
``X-CSRF-Token`` header (JavaScript)::

    <form method="post">{{ csrf_input() }} ... </form>

    fetch(url, {method: "POST", headers: {"X-CSRF-Token": "{{ csrf_token() }}"}})

Over https the ``Origin`` (or, without it, the ``Referer``) must also be this
site or one of ``trusted_origins``.

Exempt by design: handlers marked :func:`csrf_exempt` (webhooks) and requests
authenticated by ``Authorization: Bearer`` that send no cookies (API clients
hold their credential themselves, so a browser cannot be tricked into using
it). Needs :class:`~fastcore.middleware.sessions.SessionMiddleware` outside it.

Tokens are masked with a fresh random pad on every ``csrf_token()`` call, so
the token bytes differ in every response (BREACH compression attacks).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from fastcore.error_handlers import default_error_response
from fastcore.exceptions import ImproperlyConfigured
from fastcore.formparsers import FORM_CONTENT_TYPES
from fastcore.middleware_base import Handler, Middleware
from fastcore.routing.marks import endpoint_for, get_option, set_option
from fastcore.security.context import current_request, get_current_request
from fastcore.security.crypto import b64decode, b64encode, constant_time_compare

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response
    from fastcore.templating import Markup

__all__ = ["CSRFMiddleware", "csrf_exempt", "csrf_input", "csrf_token", "rotate_csrf_token"]

logger = logging.getLogger("fastcore.security.csrf")

F = TypeVar("F", bound=Callable[..., Any])

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_KEY = "_csrf"
FIELD_NAME = "csrf_token"
_SECRET_BYTES = 32


def csrf_exempt(endpoint: F) -> F:
    """Mark a handler as exempt from CSRF checks (webhooks signed another way)."""
    return set_option(endpoint, "csrf_exempt", True)


def _mask(secret: bytes) -> str:
    pad = secrets.token_bytes(len(secret))
    return b64encode(pad + bytes(a ^ b for a, b in zip(pad, secret, strict=True)))


def _unmask(token: str) -> bytes | None:
    try:
        raw = b64decode(token)
    except ValueError:
        return None
    if len(raw) == 2 * _SECRET_BYTES:
        pad, masked = raw[:_SECRET_BYTES], raw[_SECRET_BYTES:]
        return bytes(a ^ b for a, b in zip(pad, masked, strict=True))
    return None


def _session_secret(request: Request, create: bool) -> bytes | None:
    session = request.session
    stored = session.get(SESSION_KEY)
    if isinstance(stored, str):
        try:
            secret = b64decode(stored)
        except ValueError:
            secret = b""
        if len(secret) == _SECRET_BYTES:
            return secret
    if not create:
        return None
    secret = secrets.token_bytes(_SECRET_BYTES)
    session[SESSION_KEY] = b64encode(secret)
    return secret


def csrf_token() -> str:
    """The current session's CSRF token (masked afresh on every call).

    Available in templates as ``csrf_token()``; creates the token (and so the
    session cookie) on first use.
    """
    secret = _session_secret(get_current_request("csrf_token"), create=True)
    assert secret is not None  # create=True always returns a secret
    return _mask(secret)


def csrf_input() -> Markup:
    """A hidden ``<input>`` carrying the CSRF token, for HTML forms."""
    from fastcore.templating import Markup

    return Markup(f'<input type="hidden" name="{FIELD_NAME}" value="{csrf_token()}">')


def rotate_csrf_token(request: Request) -> None:
    """Replace the session's CSRF token (on login, so a pre-login token stops working)."""
    request.session.pop(SESSION_KEY, None)


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class CSRFMiddleware(Middleware):
    """Reject unsafe requests that do not carry the session's CSRF token (403).

    Args:
        trusted_origins: Other origins allowed to send unsafe requests over
            https, like ``https://admin.example.com`` or ``https://*.example.com``.
        field_name: The form field carrying the token.
        header_name: The header carrying the token.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(
        self,
        next: Handler,
        *,
        trusted_origins: Iterable[str] = (),
        field_name: str = FIELD_NAME,
        header_name: str = "x-csrf-token",
    ) -> None:
        super().__init__(next)
        self.exact_origins: set[str] = set()
        self.wildcard_origins: list[tuple[str, str]] = []
        for origin in trusted_origins:
            scheme, sep, host = origin.lower().rstrip("/").partition("://")
            if not sep or not host or "/" in host:
                raise ImproperlyConfigured(
                    f"CSRF trusted origin {origin!r} must look like https://example.com"
                )
            if host.startswith("*."):
                self.wildcard_origins.append((scheme, host[1:]))
            else:
                self.exact_origins.add(f"{scheme}://{host}")
        self.field_name = field_name
        self.header_name = header_name.lower()
        self._globals_installed = False

    def enter(self, request: Request) -> None:
        """Make the token helpers see this request (the caller resets it afterwards)."""
        # PERF: setting a context variable copies the context; an outer layer
        # (security headers) has usually set it already.
        if current_request.get() is not request:
            current_request.set(request)
        if not self._globals_installed:
            self._install(request)

    async def check(self, request: Request) -> Response | None:
        """The 403 for an unsafe request without a valid token, or None to go on."""
        refusal = await self._refusal(request)
        if refusal is None:
            return None
        logger.warning("CSRF check failed for %s %s: %s", request.method, request.raw_path, refusal)
        return default_error_response(request, 403, f"CSRF check failed: {refusal}")

    async def __call__(self, request: Request) -> Response:
        """Check unsafe requests, and make the token helpers see this request."""
        self.enter(request)
        if request.method in UNSAFE_METHODS:
            refused = await self.check(request)
            if refused is not None:
                current_request.set(None)
                return refused
        try:
            return await self.next(request)
        finally:
            # Requests handled without a Task share one context: leave no stale request.
            current_request.set(None)

    def _install(self, request: Request) -> None:
        try:
            request.session  # noqa: B018 - probing for the session middleware
        except ImproperlyConfigured:
            raise ImproperlyConfigured(
                "CSRFMiddleware needs SessionMiddleware added before it (outside it): "
                "app.add_middleware(SessionMiddleware, ...) first"
            ) from None
        app = getattr(request, "app", None)
        if app is not None:
            template_globals = app.template_globals
            template_globals.setdefault("csrf_token", csrf_token)
            template_globals.setdefault("csrf_input", csrf_input)
        self._globals_installed = True

    def _origin_allowed(self, origin: str, request: Request) -> bool:
        if origin == f"{request.scheme}://{request.host}".lower() or origin in self.exact_origins:
            return True
        scheme, _, host = origin.partition("://")
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return any(
            scheme == want_scheme and host.endswith(suffix)
            for want_scheme, suffix in self.wildcard_origins
        )

    async def _refusal(self, request: Request) -> str | None:
        """Say why the request must be refused, or None when it may pass."""
        headers = request.headers
        if "cookie" not in headers and headers.get("authorization", "")[:7].lower() == "bearer ":
            return None
        if get_option(endpoint_for(request), "csrf_exempt"):
            return None
        if request.scheme == "https":
            origin = headers.get("origin")
            if origin is None or origin == "null":
                referer = headers.get("referer")
                if origin is None and not referer:
                    return "the request has neither Origin nor Referer (required over https)"
                origin = _origin_of(referer or "")
                if origin is None:
                    return "the Referer is not an absolute URL"
            if not self._origin_allowed(origin.lower(), request):
                return f"origin {origin} is not this site nor a trusted origin"
        secret = _session_secret(request, create=False)
        if secret is None:
            return "the session has no CSRF token (no session cookie, or it expired)"
        token = headers.get(self.header_name)
        if token is None and request.content_type in FORM_CONTENT_TYPES:
            # The form is parsed once and cached: the handler's request.form()
            # (and request.body() for urlencoded) reuse this read.
            value = (await request.form()).get(self.field_name)
            token = value if isinstance(value, str) else None
        if not token:
            return f"the {self.field_name} form field or {self.header_name} header is missing"
        given = _unmask(token)
        if given is None or not constant_time_compare(given, secret):
            return "the CSRF token is invalid for this session"
        return None
