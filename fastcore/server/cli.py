"""The server's commands: ``fastcore run`` (serve an app) and ``fastcore routes``.

Registered through the ``fastcore.commands`` entry-point group (see
:mod:`fastcore.cli`); ``python -m fastcore.server.cli`` runs the whole
``fastcore`` command line, as the console script does.
"""

from __future__ import annotations

import argparse
import os
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
    run.add_argument("--uds", metavar="PATH", help="listen on this Unix domain socket")
    run.add_argument(
        "--fd", type=int, metavar="N", help="listen on an inherited socket (systemd activation)"
    )
    run.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    run.add_argument(
        "--max-requests", type=int, default=0, metavar="N", help="recycle a worker after N requests"
    )
    run.add_argument(
        "--max-requests-jitter",
        type=int,
        default=0,
        metavar="J",
        help="add 0..J to --max-requests per worker",
    )
    run.add_argument(
        "--max-worker-memory",
        type=int,
        default=0,
        metavar="MIB",
        help="recycle a worker whose resident memory exceeds MIB",
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="kill and replace a worker whose event loop is blocked this long (default 30)",
    )
    run.add_argument(
        "--limit-concurrency",
        type=int,
        metavar="N",
        help="503 beyond N requests in progress per worker",
    )
    run.add_argument(
        "--max-connections", type=int, metavar="N", help="503 beyond N open connections per worker"
    )
    run.add_argument(
        "--ssl-certfile", metavar="PEM", help="serve HTTPS with this certificate chain"
    )
    run.add_argument("--ssl-keyfile", metavar="PEM", help="the certificate's private key")
    run.add_argument("--ssl-keyfile-password", metavar="PASSWORD", help=argparse.SUPPRESS)
    run.add_argument(
        "--ssl-ca-certs", metavar="PEM", help="require client certificates from these CAs"
    )
    run.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/-Proto from --forwarded-allow-ips",
    )
    run.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1,::1",
        metavar="LIST",
        help="trusted proxy addresses or networks, comma-separated, or * (default 127.0.0.1,::1)",
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve Prometheus metrics at http://127.0.0.1:PORT/metrics (prometheus-client)",
    )
    run.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    run.add_argument(
        "--reload-dir",
        action="append",
        metavar="DIR",
        help="a directory to watch with --reload (default: the current one); repeatable",
    )
    run.add_argument("--access-log", action="store_true", help="log one line per request")
    run.add_argument(
        "--access-log-format",
        default=None,
        metavar="FORMAT",
        help="'json', or a template of named fields ('{client} \"{method} {target}\" {status}'; "
        "see fastcore.server.access_log); implies --access-log",
    )
    run.add_argument("--keep-alive-timeout", type=float, default=None, metavar="SECONDS")
    run.add_argument("--graceful-timeout", type=float, default=None, metavar="SECONDS")
    run.add_argument("--no-server-header", action="store_true", help="send no Server header")
    run.add_argument(
        "--ws-compression",
        action="store_true",
        help="accept permessage-deflate on WebSockets (off by default: CPU, memory, BREACH)",
    )
    run.add_argument(
        "--no-eager-dispatch",
        action="store_true",
        help="start every request in its own asyncio Task (default: only those that may need one)",
    )

    run.set_defaults(handler=_serve)
    routes = commands.add_parser("routes", help="print the route table of an app")
    routes.add_argument("app", help="the app, as module:attribute")
    routes.set_defaults(handler=_serve)


def _config_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ServerConfig fields the command line sets."""
    options: dict[str, Any] = {}
    if args.keep_alive_timeout is not None:
        options["keep_alive_timeout"] = args.keep_alive_timeout
    if args.ws_compression:
        options["websocket_compression"] = True
    if args.graceful_timeout is not None:
        options["graceful_timeout"] = args.graceful_timeout
    if args.no_server_header:
        options["server_header"] = None
    if args.no_eager_dispatch:
        options["eager_dispatch"] = False
    if args.access_log_format is not None:
        options["access_log_format"] = args.access_log_format
    if args.proxy_headers:
        options["proxy_headers"] = True
        options["forwarded_allow_ips"] = args.forwarded_allow_ips
    return options


def _serve(args: argparse.Namespace) -> int:
    if args.command == "run" and args.reload:
        from fastcore.server.reload import run_with_reload

        return run_with_reload(sys.argv[1:], args.reload_dir or ["."])
    reloader = os.environ.get("FASTCORE_RELOADER_PID")
    if args.command == "run" and reloader and reloader.isdigit():
        from fastcore.server.workers import die_with_parent

        die_with_parent(int(reloader))
    supervised = args.command == "run" and (
        args.workers > 1
        or args.max_requests
        or args.max_worker_memory
        or args.metrics_port is not None
    )
    app = None
    if not supervised:
        # NOTE: under a supervisor each worker imports the app after the
        # fork, so that a rolling restart (SIGHUP) serves the new code.
        try:
            app = import_app(args.app)
        except ImproperlyConfigured as exc:
            print(f"fastcore: error: {exc}", file=sys.stderr)
            return 2
    if args.command == "routes":
        return _print_routes(args, app)

    from fastcore.server import run

    options = _config_options(args)
    try:
        run(
            app,
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=args.access_log,
            uds=args.uds,
            fd=args.fd,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
            ssl_keyfile_password=args.ssl_keyfile_password,
            ssl_ca_certs=args.ssl_ca_certs,
            max_requests=args.max_requests,
            max_requests_jitter=args.max_requests_jitter,
            worker_timeout=args.timeout,
            max_worker_memory=args.max_worker_memory,
            metrics_port=args.metrics_port,
            limit_concurrency=args.limit_concurrency,
            max_connections=args.max_connections,
            app_ref=args.app,
            # SIGHUP to a single process: drain, then exec this command line again.
            restart_argv=sys.argv[1:] if args.command == "run" else None,
            **options,
        )
    except ImproperlyConfigured as exc:
        print(f"fastcore: error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"fastcore: error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:
        print(f"fastcore: error: {exc.name or exc} is needed: pip install it", file=sys.stderr)
        return 1
    except OSError as exc:
        # Most often the address is in use or not local.
        where = args.uds or (f"fd {args.fd}" if args.fd is not None else f"{args.host}:{args.port}")
        print(f"fastcore: error: cannot listen on {where}: {exc}", file=sys.stderr)
        return 1
    return 0


def _print_routes(args: argparse.Namespace, app: Any) -> int:
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


if __name__ == "__main__":  # pragma: no cover - `python -m fastcore.server.cli`
    sys.exit(main())
