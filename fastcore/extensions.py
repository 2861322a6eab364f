"""The extension API: how a battery or a third-party package plugs into an App.

An extension is an object with a ``name`` and an ``init_app(app)`` method, in
the shape Flask made familiar. ``app.install(extension)`` records it in
``app.extensions[name]`` (its per-app state) and calls ``init_app``, which
registers what the extension brings through the App's public methods:

- routes and route groups (``app.add_route``, ``app.include``);
- middleware (``app.add_middleware``) and error handlers (``app.exception_handler``);
- template filters, globals and tests (``app.template_filter`` ...);
- startup and shutdown hooks (``app.on_startup``, ``app.on_shutdown``);
- startup checks (``app.add_check``);
- request attributes (``app.add_request_attribute``).

A handler decorator that relies on an extension (``@cache_page`` on the
cache) marks the handler with :func:`require_extension`; when the app is
built, a startup check names each route whose extension is not installed,
and the fix, instead of a 500 on the route's first request.

Two later moments are offered as methods an extension may override:
:meth:`Extension.finalize_routes`, when the routes freeze (the last chance to
add routes that depend on the others, as the OpenAPI pages do), and
:meth:`Extension.finalize`, when the App builds its request pipeline (the
last chance to add middleware that must wrap all the others, as the default
security stack does). Nothing of an extension runs per request unless it
added middleware or request attributes.

The core imports no extension: fastcore's own batteries (security defaults,
templates, OpenAPI, the database, auth) are installed through this API, and
a package's command-line commands arrive through the ``fastcore.commands``
entry-point group (see :mod:`fastcore.cli`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["Extension", "Requirement", "require_extension", "required_extensions"]

F = TypeVar("F", bound=Callable[..., Any])

_REQUIRES = "__fastcore_requires__"


class Requirement(NamedTuple):
    """An extension a handler needs: its name, what needs it, and how to install it."""

    extension: str
    needed_by: str
    fix: str


def require_extension(endpoint: F, extension: str, *, needed_by: str, fix: str) -> F:
    """Mark ``endpoint`` as needing the extension called ``extension``; return it.

    For decorators of batteries: ``require_extension(wrapper, "cache",
    needed_by="@cache_page", fix="app.install(Caching())")``. Routes to a
    marked handler fail the app's startup checks (``extensions.E001``) while
    no extension of that name is installed.
    """
    # A tuple, rebuilt rather than appended to: functools.wraps copies the
    # attribute to outer wrappers, which must not share a mutable list.
    marks = (*required_extensions(endpoint), Requirement(extension, needed_by, fix))
    setattr(endpoint, _REQUIRES, marks)
    return endpoint


def required_extensions(endpoint: Any) -> tuple[Requirement, ...]:
    """The extensions ``endpoint`` was marked as needing (none for most handlers)."""
    marks = getattr(endpoint, _REQUIRES, ())
    return marks if isinstance(marks, tuple) else ()


class Extension:
    """Base class of what :meth:`App.install <fastcore.app.App.install>` accepts.

    Subclasses set :attr:`name` (the key in ``app.extensions``) and override
    :meth:`init_app`; the two ``finalize`` hooks are optional.

    Example::

        class Greeting(Extension):
            name = "greeting"

            def init_app(self, app: App) -> None:
                app.add_route("/hello", self.hello)
                app.template_filter("shout")(str.upper)

            async def hello(self) -> str:
                return "hello"

        app.install(Greeting())
    """

    #: The key of this extension's state in ``app.extensions``; unique per app.
    name: str = ""

    def init_app(self, app: App) -> None:
        """Register what the extension adds to ``app`` (called once by ``install``)."""

    def finalize_routes(self, app: App) -> None:
        """Add routes that depend on the app's other routes (called once, before they freeze)."""

    def finalize(self, app: App) -> None:
        """Add outermost middleware or check configuration (called once, when the app is built)."""
