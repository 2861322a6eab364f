"""Security on by default: which apps get the default stack, decided when the App is built.

``App(security=...)`` installs
:class:`~fastcore.security.extension.DefaultSecurity`, which calls
:func:`security_middleware_for` once, when the app is built (first request,
server start, test client):

- ``security=None`` (the default): an HTML app, one with an existing template
  folder or that already uses its template environment, gets the layers of
  :func:`~fastcore.security.default_layers.default_middleware` outermost, configured
  from the app's settings (``FASTCORE_SECRET_KEY``, ``FASTCORE_ALLOWED_HOSTS``,
  ...), run as one :class:`~fastcore.middleware.security_stack.SecurityStack`.
  An app without templates (a JSON API) gets nothing.
- ``security=True``: the default stack whatever the app renders.
- ``security=False``: nothing, and no checks (APIs, benchmarks).

An app that lists one of the stack's layers in ``middleware=`` (or through
``add_middleware``) has its own stack: nothing is added, so no layer runs
twice, and :func:`~fastcore.security.checks.check_security` runs instead,
logging its warnings and refusing to start on its errors.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastcore.checks import enforce
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware.security_stack import SECURITY_LAYERS, SecurityStack
from fastcore.security.checks import check_security
from fastcore.security.default_layers import default_middleware
from fastcore.security.extension import is_html_app

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.middleware_base import MiddlewareSpec

__all__ = ["has_own_security", "security_middleware_for"]

logger = logging.getLogger("fastcore.security")


def has_own_security(app: App) -> bool:
    """Tell whether the app's middleware already holds a layer of the default stack."""
    return any(spec.cls in SECURITY_LAYERS or spec.cls is SecurityStack for spec in app.middleware)


def _check_own_stack(app: App) -> None:
    # Debug mode (security.W001) is a choice, said elsewhere.
    enforce(
        check_security(app), what="unsafe security middleware", quiet={"security.W001"}, log=logger
    )


def security_middleware_for(app: App, security: bool | None) -> list[MiddlewareSpec]:
    """Return the layers to put outermost around ``app``'s own middleware.

    Raises:
        ImproperlyConfigured: in production without a strong secret key or
            allowed hosts (the message names the settings and the ways out),
            or when the app's own security middleware is broken.
    """
    if security is False:
        return []
    if has_own_security(app):
        _check_own_stack(app)
        return []
    if security is None and not is_html_app(app):
        return []
    try:
        layers = default_middleware(settings=app.settings)
    except ImproperlyConfigured as exc:
        why = "App(security=True)" if security else "the app renders templates"
        raise ImproperlyConfigured(
            f"{exc}. The default security stack is on ({why}): configure it with "
            "FASTCORE_SECRET_KEY and FASTCORE_ALLOWED_HOSTS (or Settings(secret_key=..., "
            "allowed_hosts=[...])), develop with FASTCORE_DEBUG=1 (a key is generated, local "
            "hosts allowed), or turn it off with App(security=False)"
        ) from exc
    return [SecurityStack.of(layers, app)]
