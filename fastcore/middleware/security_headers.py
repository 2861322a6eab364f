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
from fastcore.middleware.base import Handler, Middleware
from fastcore.security.context import current_request, get_current_request
from fastcore.security.routes import get_option, set_option

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
    request = get_current_request("csp_nonce")
    state = request.state
    nonce: str | None = getattr(state, "csp_nonce", None)
    if nonce is None:
        nonce = secrets.token_urlsafe(16)
        setattr(state, "csp_nonce", nonce)  # noqa: B010 - State is an open namespace
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

    __slots__ = ("always", "hsts", "csp_name", "csp_with_nonce", "csp_without_nonce")

    def __init__(self, options: dict[str, Any]) -> None:
        def pair(name: str, value: str | None) -> list[tuple[bytes, bytes]]:
            if value is None:
                return []
            if "\r" in value or "\n" in value:
                raise ImproperlyConfigured(f"security header {name} contains a line break")
            return [(name.encode(), value.encode("latin-1"))]

        self.always = [
            *pair("x-content-type-options", options["content_type_options"]),
            *pair("x-frame-options", options["frame_options"]),
            *pair("referrer-policy", options["referrer_policy"]),
            *pair("cross-origin-opener-policy", options["cross_origin_opener_policy"]),
            *pair("permissions-policy", options["permissions_policy"]),
        ]
        self.hsts = pair("strict-transport-security", options["hsts"])
        policy: str | None = options["csp"]
        self.csp_name = b"content-security-policy"
        if policy is None and options["csp_report_only"] is not None:
            policy = options["csp_report_only"]
            self.csp_name = b"content-security-policy-report-only"
        self.csp_with_nonce: str | None = None
        self.csp_without_nonce: bytes | None = None
        if policy is not None:
            pair("content-security-policy", policy)  # validates the value
            if "{nonce}" in policy:
                self.csp_with_nonce = policy
                stripped = " ".join(policy.replace(_NONCE_SOURCE, "").split())
                self.csp_without_nonce = stripped.replace(" ;", ";").encode("latin-1")
            else:
                self.csp_without_nonce = policy.encode("latin-1")

    def apply(self, request: Request, response: Response) -> None:
        raw = response.raw_headers
        present = {name for name, _ in raw}
        for name, value in self.always:
            if name not in present:
                raw.append((name, value))
        if self.csp_without_nonce is not None and self.csp_name not in present:
            value = self.csp_without_nonce
            if self.csp_with_nonce is not None:
                # Only a request that asked for a nonce has a state with one.
                state = getattr(request, "_state", None)
                nonce = getattr(state, "csp_nonce", None)
                if nonce is not None:
                    value = self.csp_with_nonce.replace("{nonce}", nonce).encode("latin-1")
            raw.append((self.csp_name, value))
        if self.hsts and request.scheme == "https" and self.hsts[0][0] not in present:
            raw.append(self.hsts[0])


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
        self._per_route: dict[int, _HeaderSet] = {}
        self._globals_installed = False

    async def __call__(self, request: Request) -> Response:
        """Call the handler, then add the headers its route's configuration asks for."""
        current_request.set(request)
        if not self._globals_installed:
            app = getattr(request, "app", None)
            if app is not None:
                app.templates.globals.setdefault("csp_nonce", csp_nonce)
            self._globals_installed = True
        response = await self.next(request)
        self._headers_for(request).apply(request, response)
        return response

    def _headers_for(self, request: Request) -> _HeaderSet:
        route = getattr(request, "route", None)
        if route is None:
            return self.default
        endpoint = getattr(route.endpoint, "endpoint", route.endpoint)
        overrides = get_option(endpoint, "security_headers")
        if overrides is None:
            return self.default
        headers = self._per_route.get(id(endpoint))
        if headers is None:
            headers = _HeaderSet({**self.options, **overrides})
            self._per_route[id(endpoint)] = headers
        return headers
