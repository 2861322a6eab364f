"""``fastcore check --deploy``: the settings that are fine in development and wrong in production.

Every finding names the setting and its fix. Registered by the default
security extension as a deployment check (``app.add_check(..., deploy=True)``),
so it runs only when asked for, never when a development app starts.

======================  =====================================================
deploy.E001             debug is on
deploy.E002             no secret key, or a weak one
deploy.E003             no allowed hosts (or ``*``)
deploy.W004             not served over https (``FASTCORE_HTTPS`` unset)
deploy.E005             the session cookie is never Secure
deploy.W006             the session cookie is readable by JavaScript
======================  =====================================================

The middleware findings of :func:`~fastcore.security.checks.check_security`
(CSRF, security headers, proxies, ...) are reported too.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fastcore.checks import CheckMessage
from fastcore.middleware.https_redirect import HTTPSRedirectMiddleware
from fastcore.middleware.security_stack import SecurityStack
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.security.checks import check_security
from fastcore.security.default_layers import DEVELOPMENT_HOSTS
from fastcore.security.keys import secret_key_problem

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["check_deploy"]

# Said by this module's own findings, in production terms.
_RESTATED = {"security.W001", "security.E002", "security.W007"}


def _options(app: App, cls: type) -> dict[str, Any] | None:
    for spec in app.middleware:
        layers = spec.options["layers"] if spec.cls is SecurityStack else [spec]
        for layer in layers:
            if layer.cls is cls:
                options: dict[str, Any] = layer.options
                return options
    return None


def _settings_messages(app: App, https: bool) -> list[CheckMessage]:
    settings = app.settings
    messages: list[CheckMessage] = []
    if app.debug:
        messages.append(
            CheckMessage(
                "error",
                "deploy.E001",
                "debug is on: error pages show tracebacks and source, and a missing "
                "secret key is generated per run.",
                "Unset FASTCORE_DEBUG (or set FASTCORE_DEBUG=0).",
            )
        )
    problem = secret_key_problem(settings.secret_key or os.environ.get("FASTCORE_SECRET_KEY", ""))
    if problem is not None:
        messages.append(
            CheckMessage(
                "error",
                "deploy.E002",
                f"{problem}: sessions, CSRF tokens and reset links could be forged.",
                'Set FASTCORE_SECRET_KEY to the output of python -c "import secrets; '
                'print(secrets.token_urlsafe(48))", kept out of the code.',
            )
        )
    hosts = list(settings.allowed_hosts)
    hosts_options = _options(app, TrustedHostMiddleware)
    if not hosts and hosts_options is not None:
        # The app's own TrustedHostMiddleware; the default stack's, without
        # settings, holds the development hosts, which production must not.
        listed = list(hosts_options.get("allowed_hosts", ()))
        hosts = [] if listed == list(DEVELOPMENT_HOSTS) else listed
    if not hosts or "*" in hosts:
        messages.append(
            CheckMessage(
                "error",
                "deploy.E003",
                ("no allowed hosts" if not hosts else "every host is allowed ('*')")
                + ": a forged Host header can poison the URLs the app builds (reset links).",
                "Set FASTCORE_ALLOWED_HOSTS=example.com,www.example.com.",
            )
        )
    if not https:
        messages.append(
            CheckMessage(
                "warning",
                "deploy.W004",
                "the app is not set up for https: no redirect from http, no HSTS, and "
                "cookies are Secure only on requests seen as https.",
                "Serve over TLS (nginx in front: docs/deployment.md) and set FASTCORE_HTTPS=1; "
                "behind a proxy also FASTCORE_TRUSTED_PROXIES=<its address>.",
            )
        )
    return messages


def _cookie_messages(app: App) -> list[CheckMessage]:
    options = _options(app, SessionMiddleware)
    if options is None:
        return []
    messages: list[CheckMessage] = []
    if options.get("secure", "auto") is False:
        messages.append(
            CheckMessage(
                "error",
                "deploy.E005",
                "the session cookie is never Secure (SessionMiddleware(secure=False)): "
                "it travels in clear text over http.",
                "Remove secure=False (the default 'auto' is Secure on https), or set secure=True.",
            )
        )
    if options.get("httponly", True) is False:
        messages.append(
            CheckMessage(
                "warning",
                "deploy.W006",
                "the session cookie is readable by JavaScript (httponly=False): an XSS "
                "steals sessions.",
                "Remove httponly=False from the session options.",
            )
        )
    return messages


def check_deploy(app: App) -> list[CheckMessage]:
    """Every production misconfiguration of ``app``'s settings and security middleware."""
    https = bool(app.settings.https) or _options(app, HTTPSRedirectMiddleware) is not None
    messages = _settings_messages(app, https) + _cookie_messages(app)
    messages += [
        message for message in check_security(app, https=https) if message.id not in _RESTATED
    ]
    return messages
