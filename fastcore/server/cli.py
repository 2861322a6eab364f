"""The ``fastcore`` command line: ``run`` (serve an app), ``routes`` and ``db`` (migrations)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from fastcore.auth import cli as auth_cli
from fastcore.exceptions import ImproperlyConfigured
from fastcore.orm import cli as db_cli

__all__ = ["import_app", "main"]


def import_app(spec: str) -> Any:
    """Import ``module:attribute`` (the attribute may be dotted) and return it.

    The current directory is importable, as with ``python -m``.

    Raises:
        ImproperlyConfigured: The spec is malformed or names nothing.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ImproperlyConfigured(f"expected 'module:app', got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name and not module_name.startswith(f"{exc.name}."):
            raise  # a missing dependency inside the module: show the real error
        raise ImproperlyConfigured(f"cannot import module {module_name!r}") from exc
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ImproperlyConfigured(
                f"module {module_name!r} has no attribute {attribute!r}"
            ) from None
    return target


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastcore", description="The fastcore command line.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve an app with the bundled server")
    run.add_argument("app", help="the app to serve, as module:attribute")
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    run.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    run.add_argument("--access-log", action="store_true", help="log one line per request")
    run.add_argument("--keep-alive-timeout", type=float, default=None, metavar="SECONDS")
    run.add_argument("--graceful-timeout", type=float, default=None, metavar="SECONDS")
    run.add_argument("--no-server-header", action="store_true", help="send no Server header")
    run.add_argument(
        "--no-eager-dispatch",
        action="store_true",
        help="start every request in its own asyncio Task (default: only those that may need one)",
    )

    routes = commands.add_parser("routes", help="print the route table of an app")
    routes.add_argument("app", help="the app, as module:attribute")
    db_cli.register(commands)  # fastcore db ... (migrations; fastcore.orm.cli)
    auth_cli.register(commands)  # createsuperuser, changepassword, auth ... (fastcore.auth.cli)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastcore`` command line; return the process exit status."""
    args = _build_parser().parse_args(argv)
    # Commands that find the app themselves (db, createsuperuser, ...).
    delegated = {"db": db_cli.run, **dict.fromkeys(auth_cli.COMMANDS, auth_cli.run)}
    if args.command in delegated:
        return delegated[args.command](args)
    try:
        app = import_app(args.app)
    except ImproperlyConfigured as exc:
        print(f"fastcore: error: {exc}", file=sys.stderr)
        return 2
    if args.command == "routes":
        router = getattr(app, "router", None)
        if router is None or not hasattr(router, "dump"):
            print(f"fastcore: error: {args.app} has no router to list", file=sys.stderr)
            return 2
        try:
            if hasattr(app, "freeze_routes"):
                # The routes as the server would serve them (OpenAPI pages
                # included), without the serving configuration.
                app.freeze_routes()
            elif hasattr(router, "freeze"):
                router.freeze()
        except ImproperlyConfigured as exc:
            print(f"fastcore: error: {exc}", file=sys.stderr)
            return 2
        print(router.dump())
        return 0

    from fastcore.server import run

    options: dict[str, Any] = {}
    if args.keep_alive_timeout is not None:
        options["keep_alive_timeout"] = args.keep_alive_timeout
    if args.graceful_timeout is not None:
        options["graceful_timeout"] = args.graceful_timeout
    if args.no_server_header:
        options["server_header"] = None
    if args.no_eager_dispatch:
        options["eager_dispatch"] = False
    try:
        run(
            app,
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=args.access_log,
            **options,
        )
    except ImproperlyConfigured as exc:
        print(f"fastcore: error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"fastcore: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # Most often the address is in use or not local.
        print(f"fastcore: error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - `python -m fastcore.server.cli`
    sys.exit(main())
