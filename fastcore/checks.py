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

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["Check", "CheckMessage", "enforce"]

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
