"""The server's commands: ``fastcore run`` (serve an app) and ``fastcore routes``.

Registered through the ``fastcore.commands`` entry-point group (see
:mod:`fastcore.cli`); ``python -m fastcore.server.cli`` runs the whole
``fastcore`` command line, as the console script does.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fastcore.app_loader import import_app as import_app
from fastcore.cli import main as main
from fastcore.exceptions import ImproperlyConfigured

__all__ = ["import_app", "main", "register"]


def register(commands: Any) -> None:
    """Add ``run`` and ``routes`` to the ``fastcore`` command line."""
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

    run.set_defaults(handler=_serve)
    routes = commands.add_parser("routes", help="print the route table of an app")
    routes.add_argument("app", help="the app, as module:attribute")
    routes.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
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
