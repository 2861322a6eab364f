"""The default security stack for HTML apps, in one call.

::

    app = App(middleware=default_middleware(secret_key=..., allowed_hosts=["example.com"]))

Outermost first: proxy headers (when ``trusted_proxies`` is given), trusted
hosts, the https redirect (when ``https``), security headers, body limits,
rate limits, sessions and CSRF. Each layer is an ordinary middleware; use them
one by one for a different arrangement.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from fastcore.config import Settings
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware.body_limit import BodyLimitMiddleware
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.https_redirect import HTTPSRedirectMiddleware
from fastcore.middleware.proxy_headers import ProxyHeadersMiddleware
from fastcore.middleware.rate_limit import RateLimitMiddleware, RateLimitStorage
from fastcore.middleware.security_headers import SecurityHeadersMiddleware
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.middleware_base import MiddlewareSpec
from fastcore.security.keys import debug_from_env, resolve_secret_keys

__all__ = ["DEVELOPMENT_HOSTS", "default_middleware"]

#: The hosts allowed in debug mode when none are configured.
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1", "[::1]", "testserver")


def default_middleware(
    *,
    settings: Settings | None = None,
    secret_key: str | Sequence[str] | None = None,
    debug: bool | None = None,
    allowed_hosts: Iterable[str] | None = None,
    trusted_proxies: Iterable[str] = (),
    https: bool | None = None,
    csrf_trusted_origins: Iterable[str] = (),
    max_body_size: int | None = None,
    rate_limit: str | None = None,
    rate_limit_storage: RateLimitStorage | None = None,
    sessions: dict[str, Any] | None = None,
    security_headers: dict[str, Any] | None = None,
) -> list[MiddlewareSpec]:
    """Return the middleware list of a secure HTML app, for ``App(middleware=...)``.

    Explicit arguments win over ``settings`` (a :class:`~fastcore.config.Settings`,
    which reads ``FASTCORE_SECRET_KEY``, ``FASTCORE_ALLOWED_HOSTS`` and so on).

    Args:
        settings: Where unset arguments come from.
        secret_key: Signs the session cookie; a list rotates keys (newest first).
        debug: Development mode: a missing key is generated, local hosts allowed.
        allowed_hosts: Served host names (required in production).
        trusted_proxies: Proxies whose X-Forwarded-* headers are believed.
        https: Served over https: redirect http, HSTS, Secure cookies always.
        csrf_trusted_origins: Other origins allowed to POST.
        max_body_size: A default per-request body limit (``@body_limit`` per route).
        rate_limit: A limit for every request (``@rate_limit`` per route).
        rate_limit_storage: Where the rate limiter and the login throttle count
            (:class:`~fastcore.middleware.rate_limit.RedisRateLimitStorage` to share
            the counts between workers and machines; process memory by default).
        sessions: Extra SessionMiddleware options (backend, cookie name, expiry).
        security_headers: Extra SecurityHeadersMiddleware options (csp, ...).

    Raises:
        ImproperlyConfigured: in production, without a strong secret key or
            without ``allowed_hosts``.
    """
    if settings is not None:
        debug = settings.debug if debug is None else debug
        secret_key = secret_key or settings.secret_key or None
        fallbacks: Sequence[str] = settings.secret_key_fallbacks
        allowed_hosts = allowed_hosts if allowed_hosts is not None else settings.allowed_hosts
        trusted_proxies = trusted_proxies or settings.trusted_proxies
        https = settings.https if https is None else https
        csrf_trusted_origins = csrf_trusted_origins or settings.csrf_trusted_origins
    else:
        fallbacks = ()
    if debug is None:
        debug = debug_from_env(os.environ)
    keys = resolve_secret_keys(secret_key, fallbacks=fallbacks, debug=debug)
    hosts = list(allowed_hosts) if allowed_hosts is not None else []
    if not hosts:
        if not debug:
            raise ImproperlyConfigured(
                "allowed_hosts is required in production (FASTCORE_ALLOWED_HOSTS=example.com): "
                "without it a forged Host header can poison the URLs the app builds"
            )
        hosts = list(DEVELOPMENT_HOSTS)
    stack: list[MiddlewareSpec] = []
    proxies = list(trusted_proxies)
    if proxies:
        stack.append(MiddlewareSpec(ProxyHeadersMiddleware, {"trusted_proxies": proxies}))
    stack.append(MiddlewareSpec(TrustedHostMiddleware, {"allowed_hosts": hosts}))
    if https:
        stack.append(MiddlewareSpec(HTTPSRedirectMiddleware, {}))
    stack.append(MiddlewareSpec(SecurityHeadersMiddleware, dict(security_headers or {})))
    stack.append(MiddlewareSpec(BodyLimitMiddleware, {"max_body_size": max_body_size}))
    stack.append(
        MiddlewareSpec(RateLimitMiddleware, {"limit": rate_limit, "storage": rate_limit_storage})
    )
    session_options: dict[str, Any] = {"secret_key": keys, "debug": debug}
    if https:
        session_options["secure"] = True
    session_options.update(sessions or {})
    stack.append(MiddlewareSpec(SessionMiddleware, session_options))
    stack.append(MiddlewareSpec(CSRFMiddleware, {"trusted_origins": list(csrf_trusted_origins)}))
    return stack
