"""The App of ``from fastcore import App``: the core App with the default batteries.

:class:`fastcore.app.App` knows no battery. This subclass installs, through
the extension API, what a fastcore app has by default, each only when first
needed, so an app that never renders loads no template engine:

- templates: ``app.templates`` and ``app.render(...)``
  (:class:`~fastcore.templating.extension.Templates`);
- the OpenAPI document and docs pages: ``app.openapi``
  (:class:`~fastcore.openapi.OpenAPIConfig`), added when the routes freeze;
- the default security stack for HTML apps: ``App(security=...)``
  (:class:`~fastcore.security.extension.DefaultSecurity`), added when the app
  is built;
- ``app.static(...)``: a static files folder
  (:class:`~fastcore.staticfiles.StaticFiles`);
- ``app.run(...)``: the bundled server.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from fastcore.app import App as CoreApp
from fastcore.app import Dispatch, Hook, Lifespan
from fastcore.config import Settings
from fastcore.exceptions import ImproperlyConfigured
from fastcore.extensions import Extension

if TYPE_CHECKING:
    from fastcore.openapi import OpenAPIConfig
    from fastcore.responses import HTMLResponse
    from fastcore.staticfiles.extension import StaticFiles
    from fastcore.templating import Environment
    from fastcore.templating.extension import Templates
    from fastcore.types import WebSocketEndpoint

__all__ = ["App"]

F = TypeVar("F", bound=Callable[..., Any])


class App(CoreApp):
    """A fastcore application with the default batteries.

    Takes the arguments of :class:`fastcore.app.App`, and:

    Args:
        security: The default security stack (trusted hosts, security
            headers, sessions, CSRF, body and rate limits; see
            :mod:`fastcore.security.defaults`). None (the default) installs it
            for HTML apps (a template folder exists or templates are in use)
            from the settings (``FASTCORE_SECRET_KEY``,
            ``FASTCORE_ALLOWED_HOSTS``); True for any app; False never (APIs,
            benchmarks). Middleware of that stack listed in ``middleware``
            replaces it, so nothing runs twice. In production a missing key or
            host list fails at startup.

    Example::

        app = App()

        @app.get("/users/{user_id:int}")
        async def show_user(request: Request, user_id: int):
            return {"id": user_id}
    """

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        debug: bool | None = None,
        redirect_slashes: bool | None = None,
        middleware: Iterable[type[Any] | tuple[type[Any], dict[str, Any]]] = (),
        lifespan: Lifespan | None = None,
        on_startup: Iterable[Hook] = (),
        on_shutdown: Iterable[Hook] = (),
        extensions: Iterable[Extension] = (),
        security: bool | None = None,
    ) -> None:
        super().__init__(
            settings=settings,
            debug=debug,
            redirect_slashes=redirect_slashes,
            middleware=middleware,
            lifespan=lifespan,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            extensions=extensions,
        )
        self.security = security

    # -- templates -----------------------------------------------------------

    @property
    def templates(self) -> Environment:
        """The template environment (loads from ``settings.template_folders``)."""
        return self._templates_extension().environment

    def render(
        self,
        template_name: str,
        /,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """Render a template into an HTML response."""
        return self._templates_extension().render(
            template_name, status_code=status_code, headers=headers, **context
        )

    def _templates_extension(self) -> Templates:
        from fastcore.templating.extension import Templates

        return Templates.of(self)

    # -- WebSockets ------------------------------------------------------------

    def websocket_handler_endpoint(
        self, handler: Callable[..., Awaitable[None]], path_params: dict[str, type], pattern: str
    ) -> WebSocketEndpoint:
        """Wrap a WebSocket handler (``@app.websocket``) with :mod:`fastcore.realtime`."""
        from fastcore.realtime.websocket import websocket_endpoint

        return websocket_endpoint(handler, path_params, pattern)

    # -- static files ----------------------------------------------------------

    def static(
        self,
        url: str = "/static",
        directory: str | os.PathLike[str] | None = "static",
        **options: Any,
    ) -> StaticFiles:
        """Serve the files of ``directory`` under ``url`` (and ``static_url()`` in templates).

        ``options`` are :class:`~fastcore.staticfiles.StaticFiles` arguments, such as
        ``root="collected-static"`` (where ``fastcore collectstatic`` writes).
        """
        from fastcore.staticfiles.extension import StaticFiles

        return self.install(StaticFiles(url, directory, **options))

    # -- OpenAPI -------------------------------------------------------------

    @property
    def openapi(self) -> OpenAPIConfig:
        """The OpenAPI document and docs pages settings (set before the app starts)."""
        from fastcore.openapi import OpenAPIConfig

        config = self.extensions.get(OpenAPIConfig.name)
        if config is None:
            return self.install(OpenAPIConfig())
        if not isinstance(config, OpenAPIConfig):
            raise TypeError(f"app.extensions['openapi'] is {config!r}, not an OpenAPIConfig")
        return config

    @openapi.setter
    def openapi(self, config: OpenAPIConfig) -> None:
        # NOTE: replacing the installed config is safe until the routes
        # freeze: its only work happens then (finalize_routes).
        if self.router.frozen:
            raise ImproperlyConfigured("set app.openapi before the app starts")
        self.extensions.pop(config.name, None)
        self.install(config)

    def openapi_schema(self) -> dict[str, Any]:
        """The app's OpenAPI 3.1 document (built once, after the routes are frozen)."""
        return self.openapi.document(self)

    # -- building and running --------------------------------------------------

    def freeze_routes(self) -> None:
        """Install the OpenAPI pages (unless configured off), then freeze the routes."""
        if not self.router.frozen:
            self.openapi  # noqa: B018 - installs the default OpenAPIConfig
        super().freeze_routes()

    def build_dispatch(self) -> Dispatch:
        """Install the default security stack as ``security`` says, then build the app."""
        if self.security is not False and "security" not in self.extensions:
            from fastcore.security.extension import DefaultSecurity

            self.install(DefaultSecurity(self.security))
        return super().build_dispatch()

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        workers: int | None = None,
        access_log: bool = False,
        **server_options: Any,
    ) -> None:
        """Serve the app on the bundled server (blocks until stopped).

        ``server_options`` are :class:`fastcore.server.ServerConfig` fields,
        such as ``keep_alive_timeout=10`` or ``eager_dispatch=False``.
        """
        from fastcore.server import run

        run(
            self,
            host=host or self.settings.host,
            port=self.settings.port if port is None else port,
            workers=workers or self.settings.workers,
            access_log=access_log,
            **{"max_body": self.settings.max_body_size, **server_options},
        )
