"""Startup checks for unsafe security settings, Django-style, with stable ids.

``check_security(app)`` returns every finding at once. Errors
(``security.E...``) are configurations that are broken; warnings
(``security.W...``) are unsafe choices that may be deliberate. An App that
brings its own security middleware runs the checks when it is built
(:mod:`fastcore.security.defaults`): errors stop it, warnings are logged.

======================  =====================================================
security.W001           debug is on (never in production)
security.E002           production without a strong secret key
security.W003           sessions without CSRF protection (CSRF off)
security.E004           CSRFMiddleware installed outside SessionMiddleware
security.W005           https app whose session cookie is not Secure
security.W006           no security headers middleware
security.W007           no Host validation (or ``*`` allowed)
security.W008           ``@rate_limit`` routes without RateLimitMiddleware
security.W009           ``@body_limit`` routes without BodyLimitMiddleware
security.W010           https app without HSTS
security.W011           proxy headers trusted from every peer
======================  =====================================================
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fastcore.checks import CheckMessage
from fastcore.middleware.body_limit import BodyLimitMiddleware
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.https_redirect import HTTPSRedirectMiddleware
from fastcore.middleware.proxy_headers import ProxyHeadersMiddleware
from fastcore.middleware.rate_limit import RateLimitMiddleware
from fastcore.middleware.security_headers import SecurityHeadersMiddleware
from fastcore.middleware.security_stack import SecurityStack
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.routing.marks import get_option
from fastcore.security.keys import secret_key_problem

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["CheckMessage", "check_security"]


def _position(specs: list[Any], cls: type) -> int:
    return next((index for index, spec in enumerate(specs) if spec.cls is cls), -1)


def _flatten(specs: list[Any]) -> list[Any]:
    # A SecurityStack stands for its layers, in their order.
    flat: list[Any] = []
    for spec in specs:
        flat += spec.options["layers"] if spec.cls is SecurityStack else [spec]
    return flat


def _session_key_messages(options: dict[str, Any], debug: bool) -> list[CheckMessage]:
    key = options.get("secret_key") or os.environ.get("FASTCORE_SECRET_KEY", "")
    newest = key if isinstance(key, str) else (key[0] if key else "")
    problem = secret_key_problem(newest)
    if problem is None or debug:
        return []
    return [
        CheckMessage(
            "error",
            "security.E002",
            f"{problem}.",
            "Set FASTCORE_SECRET_KEY to secrets.token_urlsafe(48) output.",
        )
    ]


def _route_messages(app: App, specs: list[Any]) -> list[CheckMessage]:
    messages = []
    endpoints = [getattr(route.endpoint, "endpoint", None) for route in app.router.routes]
    for option, cls, check_id in (
        ("rate_limit", RateLimitMiddleware, "security.W008"),
        ("body_limit", BodyLimitMiddleware, "security.W009"),
    ):
        used = any(get_option(endpoint, option) is not None for endpoint in endpoints)
        if used and _position(specs, cls) == -1:
            messages.append(
                CheckMessage(
                    "warning",
                    check_id,
                    f"routes use @{option} but {cls.__name__} is not installed, so it is not "
                    "enforced.",
                    f"app.add_middleware({cls.__name__}) or use default_middleware().",
                )
            )
    return messages


def check_security(app: App, *, https: bool | None = None) -> list[CheckMessage]:
    """Return every security finding for ``app`` (empty when all is well).

    Args:
        app: The application, with its middleware registered.
        https: Whether the app is served over https; guessed from an installed
            HTTPSRedirectMiddleware when None.
    """
    specs = _flatten(app.middleware)
    messages: list[CheckMessage] = []
    debug = app.debug
    if debug:
        messages.append(
            CheckMessage(
                "warning",
                "security.W001",
                "debug is on: error pages show tracebacks and a missing secret key is generated.",
                "Never run with debug in production (FASTCORE_DEBUG=0).",
            )
        )
    if https is None:
        https = _position(specs, HTTPSRedirectMiddleware) != -1
    session_at = _position(specs, SessionMiddleware)
    csrf_at = _position(specs, CSRFMiddleware)
    if session_at != -1:
        session_options = specs[session_at].options
        messages += _session_key_messages(session_options, debug)
        if csrf_at == -1:
            messages.append(
                CheckMessage(
                    "warning",
                    "security.W003",
                    "sessions are on but CSRF protection is off.",
                    "app.add_middleware(CSRFMiddleware) after SessionMiddleware.",
                )
            )
        if https and session_options.get("secure") is False:
            messages.append(
                CheckMessage(
                    "warning",
                    "security.W005",
                    "the app is served over https but the session cookie is not Secure.",
                    "Leave SessionMiddleware(secure='auto') or set secure=True.",
                )
            )
    if csrf_at != -1 and (session_at == -1 or csrf_at < session_at):
        messages.append(
            CheckMessage(
                "error",
                "security.E004",
                "CSRFMiddleware needs SessionMiddleware outside it.",
                "Add SessionMiddleware before CSRFMiddleware.",
            )
        )
    headers_at = _position(specs, SecurityHeadersMiddleware)
    if headers_at == -1:
        messages.append(
            CheckMessage(
                "warning",
                "security.W006",
                "no security headers (CSP, nosniff, frame options) are sent.",
                "app.add_middleware(SecurityHeadersMiddleware).",
            )
        )
    elif https and specs[headers_at].options.get("hsts", "") is None:
        messages.append(
            CheckMessage(
                "warning",
                "security.W010",
                "the app is served over https without Strict-Transport-Security.",
                "Keep SecurityHeadersMiddleware's default hsts.",
            )
        )
    hosts_at = _position(specs, TrustedHostMiddleware)
    if hosts_at == -1 or "*" in specs[hosts_at].options.get("allowed_hosts", ()):
        messages.append(
            CheckMessage(
                "warning",
                "security.W007",
                "the Host header is not validated: forged hosts can poison generated URLs.",
                "app.add_middleware(TrustedHostMiddleware, allowed_hosts=[...]).",
            )
        )
    proxies_at = _position(specs, ProxyHeadersMiddleware)
    if proxies_at != -1 and "*" in specs[proxies_at].options.get("trusted_proxies", ()):
        messages.append(
            CheckMessage(
                "warning",
                "security.W011",
                "X-Forwarded-* headers are trusted from every peer: clients can spoof their IP.",
                "List your proxies' addresses in trusted_proxies.",
            )
        )
    messages += _route_messages(app, specs)
    return messages
