"""Startup checks: findings with stable ids, gathered from every battery at once (Django-style).

An extension contributes a check with :meth:`App.add_check
<fastcore.app.App.add_check>`: a callable that takes the app and returns
:class:`CheckMessage` findings. The App runs them all when it is built
(``fastcore check`` runs them without serving): errors stop it, warnings are
logged, so a user sees every problem in one go.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal, NamedTuple

from fastcore.exceptions import ImproperlyConfigured
from fastcore.extensions import required_extensions

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["Check", "CheckMessage", "enforce", "missing_extensions"]

logger = logging.getLogger("fastcore.checks")


class CheckMessage(NamedTuple):
    """One finding: its level, stable id, what is wrong and how to fix it."""

    level: Literal["error", "warning"]
    id: str
    msg: str
    hint: str

    def __str__(self) -> str:
        return f"{self.id} ({self.level}): {self.msg} HINT: {self.hint}"


#: A startup check: takes the app, returns its findings (none when all is well).
Check = Callable[["App"], Iterable[CheckMessage]]


def enforce(
    messages: Iterable[CheckMessage],
    *,
    what: str,
    quiet: Iterable[str] = (),
    log: logging.Logger = logger,
) -> None:
    """Raise on the errors among ``messages``; log the warnings not listed in ``quiet``.

    Raises:
        ImproperlyConfigured: naming every error at once, prefixed by ``what``.
    """
    findings = list(messages)
    errors = [message for message in findings if message.level == "error"]
    if errors:
        raise ImproperlyConfigured(f"{what}: " + "; ".join(str(message) for message in errors))
    silenced = set(quiet)
    for message in findings:
        if message.id not in silenced:
            log.warning("%s", message)


def missing_extensions(app: App) -> Iterable[CheckMessage]:
    """``extensions.E001`` for each route whose handler needs an extension not installed.

    Handlers are marked by :func:`fastcore.extensions.require_extension`
    (``@cache_page`` marks its handler as needing the cache). Every App runs
    this check.
    """
    for route in app.router.routes:
        # The router holds the App's plan for the route; the plan holds the handler.
        endpoint = getattr(route.endpoint, "endpoint", route.endpoint)
        for needed in required_extensions(endpoint):
            if needed.extension not in app.extensions:
                methods = ",".join(sorted(route.methods))
                yield CheckMessage(
                    "error",
                    "extensions.E001",
                    f"route {methods} {route.pattern} uses {needed.needed_by}, which needs the "
                    f"{needed.extension!r} extension, and none is installed.",
                    needed.fix,
                )
