"""The database's deployment checks (``fastcore check --deploy``).

======================  =====================================================
deploy.W020             SQLite with several workers
deploy.E021             the database is behind the migrations
deploy.W022             no migration folder (tables come from create_all)
deploy.E023             the models differ from the database (a migration is missing)
deploy.E024             the database cannot be reached
======================  =====================================================

They connect to the database, so they run only when asked for
(``app.add_check(..., deploy=True)``), from the directory the migration
folder is in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from fastcore.checks import CheckMessage
from fastcore.orm import migrations

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.orm.database import Database

__all__ = ["check_database_deploy"]

_UPGRADE = "fastcore db --app module:app upgrade"


def _sqlite_messages(app: App, database: Database) -> list[CheckMessage]:
    workers = app.settings.workers
    if database.url.get_backend_name() != "sqlite" or workers <= 1:
        return []
    return [
        CheckMessage(
            "warning",
            "deploy.W020",
            f"SQLite with {workers} workers: their writes wait for each other "
            "('database is locked' under load), and no second machine can share the file.",
            "Use PostgreSQL: DATABASE_URL=postgresql+asyncpg://user@host/name "
            "(pip install 'fastcore-web[postgres]'), or run one worker.",
        )
    ]


def _migration_messages(database: Database, directory: str) -> list[CheckMessage]:
    if not (Path(directory) / "env.py").is_file():
        return [
            CheckMessage(
                "warning",
                "deploy.W022",
                f"no migrations in {directory!r} (checked from {os.getcwd()}): the tables can "
                "be created but never changed in place.",
                "fastcore db init, then fastcore db --app module:app revision --autogenerate "
                "-m initial, and apply it on each deploy (" + _UPGRADE + ").",
            )
        ]
    heads = {info.revision for info in migrations.history(directory) if info.is_head}
    at = set(migrations.current(database))
    if at == heads:
        return []
    return [
        CheckMessage(
            "error",
            "deploy.E021",
            f"the database is at {', '.join(sorted(at)) or 'no revision'}, the migrations' "
            f"head is {', '.join(sorted(heads))}: the code expects tables it does not have.",
            f"Apply the migrations before serving: {_UPGRADE}.",
        )
    ]


def _missing_sqlite_file(database: Database) -> str | None:
    url = database.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return None if Path(url.database).exists() else url.database


def _unreachable(database: Database, why: str) -> CheckMessage:
    where = database.url.render_as_string(hide_password=True)
    return CheckMessage(
        "error",
        "deploy.E024",
        f"the database {where} cannot be reached ({why}).",
        "Check DATABASE_URL, that the server runs and that this user may connect; "
        "create the tables with fastcore db --app module:app upgrade.",
    )


def check_database_deploy(
    app: App, database: Database, directory: str = migrations.DEFAULT_DIRECTORY
) -> list[CheckMessage]:
    """The findings about ``database`` for a production deployment of ``app``."""
    messages = _sqlite_messages(app, database)
    missing = _missing_sqlite_file(database)
    if missing is not None:  # connecting would create it, empty
        return [*messages, _unreachable(database, f"the file {missing} does not exist")]
    try:
        behind = _migration_messages(database, directory)
        messages += behind
        # A database behind its migrations differs from the models by what
        # they apply: said once, by deploy.E021.
        changes = (
            [] if any(m.level == "error" for m in behind) else migrations.differences(database)
        )
    except Exception as exc:  # any failure: refused, auth, missing database, driver
        return [*messages, _unreachable(database, f"{type(exc).__name__}: {exc}")]
    if changes:
        shown = "; ".join(changes[:5]) + ("; ..." if len(changes) > 5 else "")
        messages.append(
            CheckMessage(
                "error",
                "deploy.E023",
                f"the models and the database differ ({len(changes)} change(s): {shown}).",
                "Write the migration (fastcore db --app module:app revision --autogenerate "
                f"-m '...') and apply it ({_UPGRADE}).",
            )
        )
    return messages
