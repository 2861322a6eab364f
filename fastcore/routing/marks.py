"""Per-route security options: decorators mark handlers, middleware reads the marks.

App-level middleware runs before routing, so a middleware that needs the
route's options before calling the handler (CSRF exemption, rate limits, body
limits) looks the route up itself with :func:`endpoint_for`; one that only
needs them afterwards (security headers) reads ``request.route``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["endpoint_for", "get_option", "routes_with_option", "set_option"]

F = TypeVar("F", bound=Callable[..., Any])

_ATTRIBUTE = "__fastcore_security__"


def set_option(endpoint: F, name: str, value: Any) -> F:
    """Attach a security option to a handler function (used by the decorators)."""
    options = endpoint.__dict__.get(_ATTRIBUTE)
    if options is None:
        options = {}
        setattr(endpoint, _ATTRIBUTE, options)
    options[name] = value
    return endpoint


def get_option(endpoint: Any, name: str, default: Any = None) -> Any:
    """Return a handler's security option, or ``default``."""
    options = getattr(endpoint, _ATTRIBUTE, None)
    if options is None:
        return default
    return options.get(name, default)


def _user_function(endpoint: Any) -> Any:
    # The App registers a plan object whose ``endpoint`` is the user's function.
    return getattr(endpoint, "endpoint", endpoint)


def endpoint_for(request: Request) -> Any:
    """The handler function that serves ``request``, or None when no route matches."""
    route = getattr(request, "route", None)
    if route is not None:
        return _user_function(route.endpoint)
    app = getattr(request, "app", None)
    if app is None:
        return None
    found = app.router.match(request.method, request.raw_path)
    if found.status != 200 or found.endpoint is None:
        return None
    return _user_function(found.endpoint)


def routes_with_option(request: Request, name: str) -> bool:
    """Tell whether any route of the request's app carries the option ``name``."""
    app = getattr(request, "app", None)
    if app is None:
        return False
    return any(
        get_option(_user_function(route.endpoint), name) is not None for route in app.router.routes
    )
