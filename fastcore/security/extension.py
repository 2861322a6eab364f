"""The default security stack as an extension, deciding cheaply whether an app needs it.

``App(security=...)`` installs :class:`DefaultSecurity`. Its work happens when
the app is built, in :func:`fastcore.security.defaults.security_middleware_for`;
this module stays light so an API app that needs no stack never loads the
middleware (bench/startup).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from fastcore.extensions import Extension

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.checks import CheckMessage

__all__ = ["DefaultSecurity", "is_html_app"]


def is_html_app(app: App) -> bool:
    """Tell whether ``app`` renders HTML: a template folder exists or templates are in use."""
    if "templates" in app.extensions:
        return True
    return any(os.path.isdir(folder) for folder in app.settings.template_folders)


def _lists_fastcore_middleware(app: App) -> bool:
    # An app can only hold its own layers of the stack if it lists some of
    # fastcore's middleware.
    return any(
        getattr(spec.cls, "__module__", "").startswith("fastcore.middleware.")
        for spec in app.middleware
    )


def _check_deploy(app: App) -> list[CheckMessage]:
    # Imported when run: the checks load the middleware, which a JSON API
    # that never asks for them should not pay for at startup.
    from fastcore.security.deploy import check_deploy

    return check_deploy(app)


class DefaultSecurity(Extension):
    """The default security stack: ``App(security=...)`` installs it.

    Args:
        mode: None for HTML apps only, True for any app, False for none
            (see :mod:`fastcore.security.defaults`).
    """

    name = "security"

    def __init__(self, mode: bool | None = None) -> None:
        self.mode = mode

    def init_app(self, app: App) -> None:
        """Register the deployment checks (``fastcore check --deploy``)."""
        app.add_check(_check_deploy, deploy=True)

    def finalize(self, app: App) -> None:
        """Put the stack outermost, around the app's own middleware, when the app needs it."""
        if self.mode is False:
            return
        if self.mode is None and not is_html_app(app) and not _lists_fastcore_middleware(app):
            return  # a JSON API with none of fastcore's middleware: nothing to add or check
        from fastcore.security.defaults import security_middleware_for

        app.middleware[:0] = security_middleware_for(app, self.mode)
