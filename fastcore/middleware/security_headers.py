"""Security headers with safe defaults, a per-request CSP nonce and per-route overrides.

Defaults (each option can change or remove one, ``None`` removes):

- ``Content-Security-Policy``: scripts and styles from this origin or carrying
  the request's nonce, no plugins, no framing, forms posting only here.
- ``X-Content-Type-Options: nosniff``
- ``X-Frame-Options: DENY`` (old browsers; CSP ``frame-ancestors`` for new ones)
- ``Referrer-Policy: strict-origin-when-cross-origin``
- ``Cross-Origin-Opener-Policy: same-origin``
- ``Strict-Transport-Security`` on https responses only (a header sent over
  http is ignored by browsers and would pin a site that has no https).

A handler's own headers win. ``{nonce}`` in the policy is replaced by a random
value per request that templates read with ``csp_nonce()``::

    <script nonce="{{ csp_nonce() }}">...</script>

The nonce is only generated when a page asks for it; otherwise the nonce
sources are left out of that response's policy.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware
from fastcore.routing.marks import get_option, routes_with_option, set_option
from fastcore.security.context import current_request, get_current_request

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["DEFAULT_CSP", "SecurityHeadersMiddleware", "csp_nonce", "security_headers"]

F = TypeVar("F", bound=Callable[..., Any])

#: The default policy; ``{nonce}`` becomes the per-request nonce.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

_NONCE_SOURCE = "'nonce-{nonce}'"


def csp_nonce() -> str:
    """The current request's CSP nonce (the same value for the whole request)."""
    # The nonce lives on the request ("" until drawn), not in a context
    # variable: a nonce drawn in a ``def`` handler (another thread, a copy of
    # the context) is seen when the headers are written.
    request = get_current_request("csp_nonce")
    nonce = request._csp_nonce
    if nonce is None:
        raise ImproperlyConfigured("csp_nonce() needs SecurityHeadersMiddleware")
    if not nonce:
        nonce = request._csp_nonce = secrets.token_urlsafe(16)
    return nonce


def security_headers(**overrides: Any) -> Callable[[F], F]:
    """Override security headers for one handler (same options as the middleware).

    ``@security_headers(frame_options=None, csp="frame-ancestors https://partner.example")``
    """
    unknown = set(overrides) - set(_OPTION_NAMES)
    if unknown:
        raise ImproperlyConfigured(f"unknown security header option(s): {sorted(unknown)}")

    def decorator(endpoint: F) -> F:
        return set_option(endpoint, "security_headers", overrides)

    return decorator


_OPTION_NAMES = (
    "csp",
    "csp_report_only",
    "content_type_options",
    "frame_options",
    "referrer_policy",
    "cross_origin_opener_policy",
    "hsts",
    "permissions_policy",
)


class _HeaderSet:
    """The pre-encoded headers of one configuration (the default or a route's)."""

    __slots__ = (
        "always",
        "hsts",
        "names",
        "csp_name",
        "csp_with_nonce",
        "csp_without_nonce",
        "without_nonce",
    )

    def __init__(self, options: dict[str, Any]) -> None:
        def pair(name: str, value: str | None) -> list[tuple[bytes, bytes]]:
            if value is None:
                return []
            if "\r" in value or "\n" in value:
                raise ImproperlyConfigured(f"security header {name} contains a line break")
            return [(name.encode(), value.encode("latin-1"))]

        policy: str | None = options["csp"]
        self.csp_name = b"content-security-policy"
        if policy is None and options["csp_report_only"] is not None:
            policy = options["csp_report_only"]
            self.csp_name = b"content-security-policy-report-only"
        self.csp_with_nonce: str | None = None
        csp = pair(self.csp_name.decode(), policy)
        if policy is not None and "{nonce}" in policy:
            self.csp_with_nonce = policy
            stripped = " ".join(policy.replace(_NONCE_SOURCE, "").split()).replace(" ;", ";")
            csp = pair(self.csp_name.decode(), stripped)
        self.csp_without_nonce = csp
        self.always = [
            *pair("x-content-type-options", options["content_type_options"]),
            *pair("x-frame-options", options["frame_options"]),
            *pair("referrer-policy", options["referrer_policy"]),
            *pair("cross-origin-opener-policy", options["cross_origin_opener_policy"]),
            *pair("permissions-policy", options["permissions_policy"]),
        ]
        self.hsts = pair("strict-transport-security", options["hsts"])
        self.without_nonce = [*self.always, *self.csp_without_nonce]
        self.names = frozenset(name for name, _ in [*self.always, *self.hsts, (self.csp_name, b"")])

    def apply(self, request: Request, response: Response, nonce: str | None) -> None:
        raw = response.raw_headers
        csp = self.csp_without_nonce
        if nonce is not None and self.csp_with_nonce is not None:
            policy = self.csp_with_nonce.replace("{nonce}", nonce)
            csp = [(self.csp_name, policy.encode("latin-1"))]
        https = request.scheme == "https"
        # PERF: the common case (the handler set none of these headers, no
        # nonce) is one list extend (bench/micro/test_bench_security_stack.py).
        names = self.names
        for name, _ in raw:
            if name in names:
                break
        else:
            if csp is self.csp_without_nonce:
                raw += self.without_nonce
            else:
                raw += self.always
                raw += csp
            if https:
                raw += self.hsts
            return
        present = {name for name, _ in raw}
        extra = [*self.always, *csp, *(self.hsts if https else ())]
        raw += [(name, value) for name, value in extra if name not in present]


class SecurityHeadersMiddleware(Middleware):
    """Add the security headers to every response (handler-set headers win).

    Args:
        csp: The Content-Security-Policy (``{nonce}`` is the request's nonce);
            None sends none.
        csp_report_only: A policy sent as Content-Security-Policy-Report-Only
            when ``csp`` is None (to trial a policy).
        content_type_options: X-Content-Type-Options.
        frame_options: X-Frame-Options (``DENY`` or ``SAMEORIGIN``).
        referrer_policy: Referrer-Policy.
        cross_origin_opener_policy: Cross-Origin-Opener-Policy.
        hsts: Strict-Transport-Security, sent on https responses only.
        permissions_policy: Permissions-Policy (none by default).
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(
        self,
        next: Handler,
        *,
        csp: str | None = DEFAULT_CSP,
        csp_report_only: str | None = None,
        content_type_options: str | None = "nosniff",
        frame_options: str | None = "DENY",
        referrer_policy: str | None = "strict-origin-when-cross-origin",
        cross_origin_opener_policy: str | None = "same-origin",
        hsts: str | None = "max-age=31536000; includeSubDomains",
        permissions_policy: str | None = None,
    ) -> None:
        super().__init__(next)
        self.options: dict[str, Any] = {
            "csp": csp,
            "csp_report_only": csp_report_only,
            "content_type_options": content_type_options,
            "frame_options": frame_options,
            "referrer_policy": referrer_policy,
            "cross_origin_opener_policy": cross_origin_opener_policy,
            "hsts": hsts,
            "permissions_policy": permissions_policy,
        }
        self.default = _HeaderSet(self.options)
        self._per_route: dict[Any, _HeaderSet] = {}
        # PERF: an app with no @security_headers route skips the per-route lookup.
        self._routes_override: bool | None = None
        self._globals_installed = False

    def enter(self, request: Request) -> None:
        """Make ``csp_nonce()`` see this request (until :meth:`leave`)."""
        current_request.set(request)
        request._csp_nonce = ""
        if not self._globals_installed:
            app = getattr(request, "app", None)
            if app is not None:
                app.template_globals.setdefault("csp_nonce", csp_nonce)
            self._globals_installed = True

    @staticmethod
    def leave(request: Request) -> str | None:
        """End what :meth:`enter` began; return the nonce the request drew, if any."""
        # Requests handled without a Task share one context: leave no stale request.
        current_request.set(None)
        nonce = request._csp_nonce or None
        request._csp_nonce = None
        return nonce

    def finish(self, request: Request, response: Response, nonce: str | None) -> None:
        """Add the headers the request's route asks for to ``response``."""
        self._headers_for(request).apply(request, response, nonce)

    async def __call__(self, request: Request) -> Response:
        """Call the handler, then add the headers its route's configuration asks for."""
        self.enter(request)
        try:
            response = await self.next(request)
        finally:
            nonce = self.leave(request)
        self.finish(request, response, nonce)
        return response

    def _headers_for(self, request: Request) -> _HeaderSet:
        if self._routes_override is None:
            self._routes_override = routes_with_option(request, "security_headers")
        route = request.route
        if route is None or not self._routes_override:
            return self.default
        # PERF: one dict lookup per request, by identity (routes live as long
        # as the app; hashing a route by value is slower); options read once.
        headers = self._per_route.get(id(route))
        if headers is None:
            endpoint = getattr(route.endpoint, "endpoint", route.endpoint)
            overrides = get_option(endpoint, "security_headers")
            if overrides is None:
                headers = self.default
            else:
                headers = _HeaderSet({**self.options, **overrides})
            self._per_route[id(route)] = headers
        return headers
