"""The bundled HTTP/1.1 server: uvloop, the compiled protocol, worker processes.

Run an app with :func:`run` (``App.run()`` calls it) or ``fastcore run
module:app`` on the command line; embed it in a running loop with
:class:`Server` or :func:`serve`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from fastcore.app_loader import import_app
from fastcore.exceptions import ImproperlyConfigured
from fastcore.server.asgi_host import ASGIAdapter as ASGIAdapter
from fastcore.server.config import ServerConfig as ServerConfig
from fastcore.server.config import WorkerConfig as WorkerConfig
from fastcore.server.serve import Server as Server
from fastcore.server.serve import run_single
from fastcore.server.serve import serve as serve
from fastcore.server.sockets import create_listener as create_listener
from fastcore.server.sockets import create_ssl_context as create_ssl_context
from fastcore.server.workers import Supervisor as Supervisor

__all__ = [
    "ASGIAdapter",
    "Server",
    "ServerConfig",
    "Supervisor",
    "WorkerConfig",
    "create_listener",
    "create_ssl_context",
    "run",
    "serve",
]


def run(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = False,
    *,
    config: ServerConfig | None = None,
    uds: str | None = None,
    fd: int | None = None,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    ssl_keyfile_password: str | None = None,
    ssl_ca_certs: str | None = None,
    max_requests: int = 0,
    max_requests_jitter: int = 0,
    worker_timeout: float = 30.0,
    max_worker_memory: int = 0,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    app_ref: str | None = None,
    restart_argv: Sequence[str] | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then drain gracefully and return.

    Args:
        app: A fastcore App or any ASGI 3 application; ``None`` with
            ``app_ref`` and several workers (each worker imports it).
        host: The address to bind (IPv4 or IPv6, such as ``"::1"``).
        port: The port to bind.
        workers: Worker processes sharing one listening socket under a
            supervisor (see :class:`Supervisor`); 1 serves in this process.
        access_log: Log one line per request to the ``fastcore.access`` logger.
        config: A complete :class:`ServerConfig` (``access_log`` and
            ``options`` are then ignored).
        uds: Listen on this Unix domain socket path instead of TCP.
        fd: Listen on this inherited socket (systemd socket activation).
        ssl_certfile: Serve HTTPS with this PEM certificate chain.
        ssl_keyfile: Its PEM private key.
        ssl_keyfile_password: The key's password, if it is encrypted.
        ssl_ca_certs: Require client certificates issued by these CAs.
        max_requests: Recycle a worker after this many requests (0: never);
            runs a supervisor even with one worker.
        max_requests_jitter: Add a random 0..J to ``max_requests`` per worker.
        max_worker_memory: Recycle a worker whose resident memory exceeds
            this many MiB (0: no cap); runs a supervisor even with one worker.
        worker_timeout: Seconds a worker's event loop may stay blocked before
            it is killed (traceback logged) and replaced.
        metrics_port: Serve Prometheus metrics of every worker on this
            port (``/metrics``, needs prometheus-client); runs a supervisor.
        metrics_host: The metrics endpoint's address (default loopback).
        app_ref: ``module:attribute`` of the app: with a supervisor, workers
            import it after the fork, so SIGHUP loads new code.
        restart_argv: The ``fastcore`` command line of this process: with
            one process (no supervisor) and ``app_ref``, SIGHUP drains it and
            runs this command again on the same socket (new code, no refused
            connection; :mod:`fastcore.server.hangup`).
        **options: Other :class:`ServerConfig` fields, such as
            ``keep_alive_timeout=10`` or ``limit_concurrency=100``.

    Raises:
        ImproperlyConfigured: A bad option, TLS file or socket.
        OSError: The address cannot be bound.
    """
    if config is None:
        config = ServerConfig(access_log=access_log, **options)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ssl_context = None
    if ssl_certfile is not None:
        ssl_context = create_ssl_context(
            ssl_certfile, ssl_keyfile, ca_certs=ssl_ca_certs, password=ssl_keyfile_password
        )
    elif ssl_keyfile is not None or ssl_ca_certs is not None:
        raise ImproperlyConfigured("--ssl-keyfile/--ssl-ca-certs need --ssl-certfile")
    worker_config = WorkerConfig(
        max_requests=max_requests,
        max_requests_jitter=max_requests_jitter,
        max_memory=max_worker_memory,
        timeout=worker_timeout,
    )
    sock = create_listener(host, port, uds=uds, fd=fd, backlog=config.backlog)
    try:
        if workers > 1 or max_requests or max_worker_memory or metrics_port is not None:
            Supervisor(
                app,
                host,
                port,
                workers,
                config,
                worker_config,
                app_ref=app_ref,
                sock=sock,
                ssl_context=ssl_context,
                metrics_port=metrics_port,
                metrics_host=metrics_host,
            ).run()
        else:
            if app is None:
                if app_ref is None:
                    raise ValueError("give the app or its module:attribute reference")
                app = import_app(app_ref)
            if restart_argv is not None and app_ref is not None:
                from fastcore.server.hangup import run_restartable

                run_restartable(
                    app,
                    host,
                    port,
                    config,
                    sock=sock,
                    ssl_context=ssl_context,
                    argv=restart_argv,
                    app_ref=app_ref,
                )
            else:
                run_single(app, host, port, config, sock=sock, ssl_context=ssl_context)
    finally:
        sock.close()
        if uds is not None:
            try:
                os.unlink(uds)
            except FileNotFoundError:
                pass
