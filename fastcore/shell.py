"""``fastcore shell``: a Python shell with the app, a database session and the models loaded.

::

    fastcore shell --app myproject.app:app      # or FASTCORE_APP=myproject.app:app
    >>> session.scalars(select(Note)).all()
    >>> session.add(Note(text="hi")); session.commit()

IPython is used when it is installed (``--plain`` for the standard shell).
``session`` is a blocking session (:class:`~fastcore.orm.session.SyncSession`)
on an event loop in a background thread, so no ``await`` is needed; what is
not committed is rolled back when the shell ends.
"""

from __future__ import annotations

import argparse
import code
import os
import sys
from typing import TYPE_CHECKING, Any

from fastcore.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from fastcore.orm.database import Database
    from fastcore.testing.loop import LoopThread

__all__ = ["build_namespace", "register", "run"]


def register(subparsers: Any) -> None:
    """Add ``fastcore shell`` to an argparse subparsers object."""
    shell = subparsers.add_parser(
        "shell", help="a Python shell with the app, a database session and the models"
    )
    shell.add_argument(
        "--app",
        default=os.environ.get("FASTCORE_APP"),
        help="module:attribute of the App; default $FASTCORE_APP",
    )
    shell.add_argument(
        "--plain", action="store_true", help="the standard shell even when IPython is installed"
    )
    shell.add_argument("-c", "--command", help="run this code in the namespace instead")
    shell.set_defaults(handler=run)


def _find_database(app: Any) -> Database | None:
    if "fastcore.orm.session" not in sys.modules:
        return None  # no app can have the session middleware
    from fastcore.orm.session import DatabaseSessionMiddleware

    for spec in getattr(app, "middleware", ()):
        if spec.cls is DatabaseSessionMiddleware:
            database: Database = spec.options["database"]
            return database
    return None


def build_namespace(app: Any, loop: LoopThread) -> tuple[dict[str, Any], list[str]]:
    """The shell's names (the app, and with a database: it, a session, the models).

    Returns the namespace and the lines of the banner that lists it.
    """
    namespace: dict[str, Any] = {"app": app}
    lines = ["app: the App"]
    database = _find_database(app)
    if database is None:
        return namespace, lines
    from sqlalchemy import delete, func, select, update

    from fastcore.orm.session import SyncSession

    loop.run(database.connect())
    models = {
        mapper.class_.__name__: mapper.class_
        for mapper in _mappers(database)
        if not mapper.class_.__name__.startswith("_")
    }
    namespace.update(models)
    namespace.update(
        database=database,
        session=SyncSession(database.new_session(), loop.loop),
        select=select,
        func=func,
        update=update,
        delete=delete,
    )
    lines += [
        f"database: {database!r}",
        "session: a blocking session; session.commit() saves, the rest is rolled back at exit",
        f"models: {', '.join(sorted(models)) or '(none)'}",
        "select, func, update, delete: from sqlalchemy",
    ]
    return namespace, lines


def _mappers(database: Database) -> list[Any]:
    from sqlalchemy.orm import Mapper, class_mapper
    from sqlalchemy.orm.exc import UnmappedClassError

    from fastcore.orm.models import Model

    found: list[Mapper[Any]] = []
    tables = set(database.metadata.tables.values())
    for mapper in Model.registry.mappers:
        try:
            mapped = class_mapper(mapper.class_)
        except UnmappedClassError:  # pragma: no cover - registry entries are mapped
            continue
        if mapped.local_table in tables:
            found.append(mapped)
    return found


def _interact(namespace: dict[str, Any], banner: str, plain: bool) -> None:
    if not plain:
        try:
            import IPython  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            pass
        else:
            print(banner)
            IPython.start_ipython(argv=[], user_ns=namespace)
            return
    code.interact(banner=banner, local=namespace, exitmsg="")


def run(args: argparse.Namespace) -> int:
    """Start the shell (or run ``--command``); return the exit status."""
    from fastcore.app_loader import import_app
    from fastcore.testing.loop import LoopThread

    if not args.app:
        print(
            "fastcore shell: error: name the app: --app module:app (or FASTCORE_APP)",
            file=sys.stderr,
        )
        return 2
    try:
        app = import_app(args.app)
    except ImproperlyConfigured as exc:
        print(f"fastcore shell: error: {exc}", file=sys.stderr)
        return 2
    loop = LoopThread("fastcore-shell")
    namespace: dict[str, Any] = {}
    try:
        namespace, lines = build_namespace(app, loop)
        if args.command is not None:
            exec(compile(args.command, "<fastcore shell -c>", "exec"), namespace)
            return 0
        banner = "\n".join([f"fastcore shell for {args.app}", *("  " + line for line in lines)])
        _interact(namespace, banner, args.plain)
        return 0
    finally:
        session = namespace.get("session")
        if session is not None:
            loop.run(session.async_session.close())
        database = namespace.get("database")
        if database is not None:
            loop.run(database.disconnect())
        loop.close()
