"""SIGHUP with one process (``fastcore run`` without ``--workers``): new code, same socket.

The process checks that the new code starts (``fastcore check APP`` in a
child process), drains like on SIGTERM, then replaces itself (``exec``, same
pid) with ``fastcore run`` on the same listening socket, passed as ``--fd``.
The socket stays open throughout: connections that arrive meanwhile wait in
its queue and are answered by the new code. If the new code does not start,
the old one keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from fastcore.server.argv import without_options
from fastcore.server.config import ServerConfig
from fastcore.server.serve import Server, run_single

__all__ = ["restart_argv", "run_restartable"]

logger = logging.getLogger("fastcore.server")

#: The options that say where to listen, replaced by ``--fd`` on a restart.
_ADDRESS_OPTIONS = ("--host", "--port", "--uds", "--fd")


def restart_argv(argv: Sequence[str], fd: int) -> list[str]:
    """The ``fastcore`` command line ``argv``, listening on ``fd`` instead of its address."""
    return [*without_options(argv, valued=_ADDRESS_OPTIONS), "--fd", str(fd)]


async def _new_code_starts(app_ref: str) -> bool:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fastcore.server.cli",
        "check",
        app_ref,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, errors = await process.communicate()
    if process.returncode != 0:
        logger.error(
            "SIGHUP: the new code does not start; the old one keeps serving:\n%s",
            errors.decode(errors="replace").strip(),
        )
        return False
    return True


def _exec_on(argv: Sequence[str], fd: int) -> NoReturn:
    os.set_inheritable(fd, True)
    command = [sys.executable, "-m", "fastcore.server.cli", *restart_argv(argv, fd)]
    logging.shutdown()  # flush the log before the process image is replaced
    os.execv(sys.executable, command)


def run_restartable(
    app: Any,
    host: str,
    port: int,
    config: ServerConfig,
    *,
    sock: socket.socket,
    ssl_context: ssl.SSLContext | None,
    argv: Sequence[str],
    app_ref: str,
) -> None:
    """Serve ``app`` in this process; on SIGHUP, restart on ``sock`` with the code on disk.

    Args:
        argv: The ``fastcore`` command line this process runs (``["run", APP, ...]``).
        app_ref: The app's ``module:attribute``, checked before the restart.
    """
    # A copy of the socket that the drain does not close: the next process gets it.
    kept = os.dup(sock.fileno())
    restart = False
    servers: list[Server] = []

    async def on_hangup() -> bool:
        nonlocal restart
        logger.info("SIGHUP: checking that the new code starts")
        starts = await _new_code_starts(app_ref)
        # A SIGTERM during the check wins: the process stops, it does not restart.
        if starts and not servers[0].shutdown_requested:
            restart = True
            logger.info("SIGHUP: draining, then serving the new code on the same socket")
        return restart

    try:
        run_single(
            app,
            host,
            port,
            config,
            sock=sock,
            ssl_context=ssl_context,
            on_ready=servers.append,
            on_hangup=on_hangup,
        )
    finally:
        if not restart:
            os.close(kept)
    if restart:
        _exec_on(argv, kept)
