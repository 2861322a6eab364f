"""The request being served, for template helpers that need it.

The CSRF and security-headers middleware set :data:`current_request` before
calling the handler, so helpers called while a template renders
(``csrf_token()``, ``csrf_input()``, ``csp_nonce()``) find the request without
it being passed through every template context. ``def`` handlers see it too:
the thread pool copies the caller's context.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

from fastcore.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["current_request", "get_current_request"]

#: The request being handled in this context (None outside a request).
current_request: contextvars.ContextVar[Request | None] = contextvars.ContextVar(
    "fastcore_current_request", default=None
)


def get_current_request(helper: str) -> Request:
    """Return the current request, or fail naming the middleware ``helper`` needs."""
    request = current_request.get()
    if request is None:
        raise ImproperlyConfigured(
            f"{helper}() needs a request: call it while a request is handled, with its "
            "middleware installed (see fastcore.security.default_middleware)"
        )
    return request
