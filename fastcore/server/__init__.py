"""The bundled HTTP/1.1 server: uvloop, the compiled protocol, worker processes.

Run an app with :func:`run` (``App.run()`` calls it) or ``fastcore run
module:app`` on the command line; embed it in a running loop with
:class:`Server` or :func:`serve`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastcore.server.asgi_host import ASGIAdapter as ASGIAdapter
from fastcore.server.config import ServerConfig as ServerConfig
from fastcore.server.serve import Server as Server
from fastcore.server.serve import run_single
from fastcore.server.serve import serve as serve
from fastcore.server.workers import Supervisor as Supervisor

__all__ = ["ASGIAdapter", "Server", "ServerConfig", "Supervisor", "run", "serve"]


def run(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = False,
    *,
    config: ServerConfig | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then drain gracefully and return.

    Args:
        app: A fastcore App or any ASGI 3 application.
        host: The address to bind.
        port: The port to bind.
        workers: Worker processes sharing the port (``SO_REUSEPORT``); 1 serves
            in this process.
        access_log: Log one line per request to the ``fastcore.access`` logger.
        config: A complete :class:`ServerConfig` (``access_log`` and
            ``options`` are then ignored).
        **options: Other :class:`ServerConfig` fields, such as
            ``keep_alive_timeout=10``.
    """
    if config is None:
        config = ServerConfig(access_log=access_log, **options)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if workers > 1:
        Supervisor(app, host, port, workers, config).run()
    else:
        run_single(app, host, port, config)
