"""Alembic migrations driven from code: the app's Database supplies URL and metadata.

::

    from fastcore.orm import migrations

    migrations.init("migrations")                       # once: the script folder
    migrations.revision(db, "add notes", autogenerate=True)
    migrations.upgrade(db)                               # to "head"
    migrations.downgrade(db, "-1")

The same commands are on the command line as ``fastcore db ...``. The
``env.py`` that :func:`init` writes only calls :func:`run_environment`, which
configures Alembic from the Database handed to the command (URL, metadata,
``connect_args``), so it never needs editing: models are found through the
Database's metadata, and SQLite gets batch mode for its limited ALTER TABLE.

These functions block (Alembic is synchronous; the async driver runs in an
event loop of its own): call them from a script or the CLI, or through
``asyncio.to_thread`` inside async code.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from fastcore.exceptions import ImproperlyConfigured
from fastcore.orm.models import UTCDateTime

if TYPE_CHECKING:
    from fastcore.orm.database import Database

__all__ = [
    "DEFAULT_DIRECTORY",
    "RevisionInfo",
    "create_all",
    "current",
    "differences",
    "downgrade",
    "history",
    "init",
    "revision",
    "run_environment",
    "upgrade",
]

#: Where migration scripts live unless told otherwise (relative to the working directory).
DEFAULT_DIRECTORY = "migrations"

_ENV_PY = '''"""Alembic environment: fastcore configures it from the Database (no edits needed)."""

from fastcore.orm.migrations import run_environment

run_environment()
'''

_DATABASE_KEY = "fastcore.database"


@dataclasses.dataclass(frozen=True)
class RevisionInfo:
    """One migration script: its id, parent(s) and message."""

    revision: str
    down_revision: str | Sequence[str] | None
    message: str | None
    is_head: bool


def _config(directory: str | os.PathLike[str], database: Database | None = None) -> Config:
    path = Path(directory)
    config = Config(str(path / "alembic.ini"))
    config.set_main_option("script_location", str(path))
    if database is not None:
        # NOTE: '%' is interpolation syntax in Alembic's ini parser.
        url = database.url.render_as_string(hide_password=False).replace("%", "%%")
        config.set_main_option("sqlalchemy.url", url)
        config.attributes[_DATABASE_KEY] = database
    return config


def _require_scripts(directory: str | os.PathLike[str]) -> None:
    if not (Path(directory) / "env.py").is_file():
        raise ImproperlyConfigured(
            f"no migrations in {os.fspath(directory)!r}: run 'fastcore db init' first"
        )


def init(directory: str | os.PathLike[str] = DEFAULT_DIRECTORY) -> Path:
    """Create the migration folder (``env.py``, the script template, ``versions/``).

    Raises:
        ImproperlyConfigured: The folder exists and is not empty.
    """
    path = Path(directory)
    if path.exists() and any(path.iterdir()):
        raise ImproperlyConfigured(f"{os.fspath(path)!r} exists and is not empty")
    config = _config(path)
    command.init(config, str(path), template="generic")
    (path / "env.py").write_text(_ENV_PY, encoding="utf-8")
    # Settings come from the Database, not an ini file; one here would mislead.
    (path / "alembic.ini").unlink(missing_ok=True)
    return path


def revision(
    database: Database,
    message: str,
    *,
    autogenerate: bool = True,
    directory: str | os.PathLike[str] = DEFAULT_DIRECTORY,
) -> Path:
    """Write a new migration script; with ``autogenerate``, diffed from the models.

    Returns the path of the new script.
    """
    _require_scripts(directory)
    script = command.revision(_config(directory, database), message, autogenerate=autogenerate)
    if script is None or isinstance(script, list):
        raise ImproperlyConfigured("alembic wrote no single revision")
    return Path(script.path)


def upgrade(
    database: Database,
    revision: str = "head",
    directory: str | os.PathLike[str] = DEFAULT_DIRECTORY,
) -> None:
    """Apply migrations up to ``revision`` (``"head"``: all of them)."""
    _require_scripts(directory)
    command.upgrade(_config(directory, database), revision)


def downgrade(
    database: Database, revision: str = "-1", directory: str | os.PathLike[str] = DEFAULT_DIRECTORY
) -> None:
    """Revert migrations down to ``revision`` (``"-1"``: one step, ``"base"``: all)."""
    _require_scripts(directory)
    command.downgrade(_config(directory, database), revision)


def current(database: Database) -> list[str]:
    """The revision ids the database is at (empty before the first upgrade)."""

    def heads(connection: Connection) -> list[str]:
        return list(MigrationContext.configure(connection).get_current_heads())

    result: list[str] = _run_connected(database, heads)
    return result


def differences(database: Database) -> list[str]:
    """What ``revision --autogenerate`` would write: the models against the database, one line each.

    Empty when the tables match the models (Alembic's own version table is ignored).
    """
    from alembic.autogenerate import compare_metadata

    def compare(connection: Connection) -> list[str]:
        diffs = compare_metadata(MigrationContext.configure(connection), database.metadata)
        return [_describe(diff) for diff in diffs]

    result: list[str] = _run_connected(database, compare)
    return result


def _describe(diff: Any) -> str:
    # A diff is ("add_table", Table) or ("add_column", schema, table, Column),
    # or a list of column modifications.
    if isinstance(diff, list):
        diff = diff[0]
    kind = diff[0]
    named = [getattr(item, "name", None) or item for item in diff[1:] if item is not None]
    return f"{kind} " + ".".join(str(name) for name in named if isinstance(name, str))


def history(directory: str | os.PathLike[str] = DEFAULT_DIRECTORY) -> list[RevisionInfo]:
    """Every migration script, newest first."""
    _require_scripts(directory)
    scripts = ScriptDirectory.from_config(_config(directory))
    heads = set(scripts.get_heads())
    return [
        RevisionInfo(script.revision, script.down_revision, script.doc, script.revision in heads)
        for script in scripts.walk_revisions()
    ]


def create_all(database: Database) -> None:
    """Create the tables of the Database's metadata that are missing (no migrations)."""

    def create(connection: Connection) -> None:
        database.metadata.create_all(connection)
        connection.commit()

    _run_connected(database, create)


def _run_connected(database: Database, work: Callable[[Connection], Any]) -> Any:
    """Run ``work(sync_connection)`` on a throwaway engine in a private event loop."""

    async def main() -> Any:
        connect_args = database.engine_options.get("connect_args", {})
        engine = create_async_engine(database.url, poolclass=NullPool, connect_args=connect_args)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    raise RuntimeError("migration commands block: call them through asyncio.to_thread")


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    # Scripts stay plain SQLAlchemy: they must not import fastcore to run.
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_environment() -> None:
    """The body of the generated ``env.py``: run Alembic against the Database."""
    from alembic import context

    database: Database | None = context.config.attributes.get(_DATABASE_KEY)
    if database is None:
        raise ImproperlyConfigured(
            "run migrations through fastcore (fastcore db upgrade, or fastcore.orm.migrations), "
            "which hands Alembic the app's Database"
        )
    options: dict[str, Any] = {
        "target_metadata": database.metadata,
        "render_item": _render_item,
        "compare_type": True,
        # SQLite alters tables by copying them; batch mode does that for us.
        "render_as_batch": database.backend == "sqlite",
    }
    if context.is_offline_mode():
        context.configure(url=database.url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    _run_connected(database, migrate)
