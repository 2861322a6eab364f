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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["Extension"]


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
