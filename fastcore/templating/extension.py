"""The templates battery: an App's template environment, installed as an extension.

``Templates.of(app)`` gives the app's :class:`Templates` (installing one the
first time), whose :attr:`~Templates.environment` loads from
``settings.template_folders`` and is built on first use. The App of
``from fastcore import App`` exposes it as ``app.templates`` and
``app.render(...)``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastcore.extensions import Extension
from fastcore.responses import HTMLResponse

from .environment import Environment
from .loaders import FileSystemLoader

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["Templates"]


class Templates(Extension):
    """An App's template environment and the ``render`` helper.

    Args:
        folders: Where templates are loaded from (default: the app's
            ``settings.template_folders``).
        auto_reload: Recompile a template whose file changed (default: under
            ``fastcore run --reload``, and in
            debug mode).
    """

    name = "templates"

    def __init__(self, folders: Sequence[str] | None = None, *, auto_reload: bool | None = None):
        self.folders = folders
        self.auto_reload = auto_reload
        self._app: App | None = None
        self._environment: Environment | None = None

    @classmethod
    def of(cls, app: App) -> Templates:
        """The app's Templates extension, installed on first use."""
        installed = app.extensions.get(cls.name)
        if installed is None:
            return app.install(cls())
        if not isinstance(installed, Templates):
            raise TypeError(f"app.extensions[{cls.name!r}] is {installed!r}, not Templates")
        return installed

    def init_app(self, app: App) -> None:
        """Remember the app (the environment is built on first use)."""
        self._app = app

    @property
    def environment(self) -> Environment:
        """The template environment, built on first use."""
        if self._environment is None:
            app = self._app
            if app is None:
                raise RuntimeError("Templates is not installed: app.install(Templates())")
            folders = app.settings.template_folders if self.folders is None else self.folders
            reload = self.auto_reload
            if reload is None:
                # Debug mode, or served by `fastcore run --reload` (its child
                # has FASTCORE_RELOADER_PID): a template edit needs no restart.
                reload = app.debug or bool(os.environ.get("FASTCORE_RELOADER_PID"))
            environment = Environment(loader=FileSystemLoader(folders), auto_reload=reload)
            environment.globals["url_for"] = app.url_for
            # NOTE: from here on the app's registries are the environment's own
            # dicts, so a filter or global added later (the CSRF middleware's
            # csrf_input, say) reaches the templates too.
            environment.filters.update(app.template_filters)
            environment.globals.update(app.template_globals)
            environment.tests.update(app.template_tests)
            app.template_filters = environment.filters
            app.template_globals = environment.globals
            app.template_tests = environment.tests
            self._environment = environment
        return self._environment

    def render(
        self,
        template_name: str,
        /,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """Render a template into an HTML response."""
        body = self.environment.get_template(template_name).render(context)
        return HTMLResponse(body, status_code=status_code, headers=headers)
