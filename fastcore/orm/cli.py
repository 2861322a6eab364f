"""``fastcore db ...``: the migration commands on the command line.

::

    fastcore db init
    fastcore db --app myapp:app revision --autogenerate -m "add notes"
    fastcore db --app myapp:app upgrade            # or: downgrade -1, current, history
    fastcore db --app myapp:app create-all

``--app`` (or ``FASTCORE_APP``) names the App whose Database was set up with
``Database.init_app(app)``, or a Database object directly; it provides the URL
and the model metadata. The main CLI adds these with :func:`register` and
hands ``db`` commands to :func:`run`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from fastcore.exceptions import ImproperlyConfigured

__all__ = ["find_database", "main", "register", "run"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``db`` command and its subcommands to an argparse subparsers object."""
    db: argparse.ArgumentParser = subparsers.add_parser("db", help="database migrations (Alembic)")
    db.add_argument(
        "--app",
        default=os.environ.get("FASTCORE_APP"),
        help="module:attribute of the App (or Database); default $FASTCORE_APP",
    )
    db.add_argument(
        "--directory", default="migrations", help="the migration folder (default: migrations)"
    )
    actions = db.add_subparsers(dest="db_command", required=True)
    actions.add_parser("init", help="create the migration folder")
    revision = actions.add_parser("revision", help="write a new migration script")
    revision.add_argument("-m", "--message", required=True, help="what the migration does")
    revision.add_argument(
        "--autogenerate", action="store_true", help="diff the models against the database"
    )
    upgrade = actions.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    downgrade = actions.add_parser("downgrade", help="revert migrations")
    downgrade.add_argument("revision", nargs="?", default="-1", help="target (default: -1)")
    actions.add_parser("current", help="show the database's revision")
    actions.add_parser("history", help="list migration scripts, newest first")
    actions.add_parser("create-all", help="create missing tables without migrations")
    db.set_defaults(handler=run)
    return db


def find_database(spec: str | None) -> Any:
    """The Database named by ``spec`` (an App with one, or a Database).

    Raises:
        ImproperlyConfigured: No spec, or it names neither.
    """
    from fastcore.app_loader import import_app
    from fastcore.orm.database import Database
    from fastcore.orm.session import DatabaseSessionMiddleware

    if not spec:
        raise ImproperlyConfigured(
            "name the app: fastcore db --app module:app ... (or FASTCORE_APP)"
        )
    target = import_app(spec)
    if isinstance(target, Database):
        return target
    for middleware in getattr(target, "middleware", ()):
        if middleware.cls is DatabaseSessionMiddleware:
            return middleware.options["database"]
    raise ImproperlyConfigured(f"{spec} has no Database: call Database(...).init_app(app)")


def run(args: argparse.Namespace) -> int:
    """Carry out a parsed ``db`` command; return the exit status."""
    from fastcore.orm import migrations

    try:
        action = args.db_command
        if action == "init":
            path = migrations.init(args.directory)
            print(f"created {path}/ (env.py needs no edits; scripts go in versions/)")
            return 0
        if action == "history":
            for info in migrations.history(args.directory):
                head = " (head)" if info.is_head else ""
                print(f"{info.down_revision} -> {info.revision}{head}, {info.message}")
            return 0
        database = find_database(args.app)
        if action == "revision":
            script = migrations.revision(
                database, args.message, autogenerate=args.autogenerate, directory=args.directory
            )
            print(f"wrote {script}")
        elif action == "upgrade":
            migrations.upgrade(database, args.revision, args.directory)
        elif action == "downgrade":
            migrations.downgrade(database, args.revision, args.directory)
        elif action == "current":
            print(", ".join(migrations.current(database)) or "(no migrations applied)")
        elif action == "create-all":
            migrations.create_all(database)
            print("created missing tables")
        return 0
    except ImproperlyConfigured as exc:
        print(f"fastcore db: error: {exc}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``db`` commands on their own (``python -m fastcore.orm.cli db ...``)."""
    parser = argparse.ArgumentParser(prog="fastcore")
    register(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
