"""Run N worker processes sharing one port; replace dead ones; drain on SIGTERM."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Any

from fastcore.server.config import ServerConfig
from fastcore.server.serve import Server, bind_socket, run_single

__all__ = ["Supervisor"]

logger = logging.getLogger("fastcore.server")

# A worker that dies this soon after its start is failing at startup:
# respawning it in a tight loop would only burn CPU, so the supervisor waits
# a little, and gives up after a few such deaths in a row.
_MIN_WORKER_LIFETIME = 1.0
_RESPAWN_BACKOFF = 0.5
_MAX_QUICK_FAILURES = 3


def _worker_main(app: Any, host: str, port: int, config: ServerConfig) -> None:
    # Runs in the forked child: the supervisor's signal plumbing is not ours.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)

    def ready(server: Server) -> None:
        logger.info("worker %d ready on port %d", os.getpid(), server.port)

    run_single(app, host, port, config, reuse_port=True, force_on_repeat=False, on_ready=ready)


class Supervisor:
    """The parent of the worker processes of ``fastcore run --workers N``.

    Each worker binds its own ``SO_REUSEPORT`` socket on the same port, so the
    kernel spreads connections over them. The supervisor keeps a bound (not
    listening) socket to hold the port number, replaces a worker that dies,
    and on SIGTERM/SIGINT forwards SIGTERM and waits for every worker to drain.

    Args:
        app: The application (inherited by the forked workers).
        host: The address to bind.
        port: The port (0 picks one free port shared by all workers).
        workers: How many worker processes to run.
        config: Limits and timeouts of each worker.
    """

    def __init__(self, app: Any, host: str, port: int, workers: int, config: ServerConfig) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.app = app
        self.host = host
        self.port = port
        self.workers = workers
        self.config = config
        self._processes: list[BaseProcess] = []
        self._started_at: dict[int, float] = {}
        self._stopping = False
        self._quick_failures = 0
        self.failed = False
        # NOTE: fork, not spawn: the app object (already imported) is inherited.
        self._context = multiprocessing.get_context("fork")

    def _spawn(self) -> BaseProcess:
        process = self._context.Process(
            target=_worker_main,
            args=(self.app, self.host, self.port, self.config),
            name="fastcore-worker",
        )
        process.start()
        self._started_at[id(process)] = time.monotonic()
        return process

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stopping = True

    def run(self) -> None:
        """Start the workers and supervise them until signalled, then drain.

        Raises:
            RuntimeError: Workers kept dying right after their start (the app
                fails at startup); the error is in their log output.
        """
        holder = bind_socket(self.host, self.port, reuse_port=True)
        self.port = holder.getsockname()[1]
        wake_read, wake_write = socket.socketpair()
        wake_read.setblocking(False)
        wake_write.setblocking(False)
        previous_wakeup = signal.set_wakeup_fd(wake_write.fileno())
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self._processes = [self._spawn() for _ in range(self.workers)]
            logger.info(
                "fastcore listening on http://%s:%d with %d workers (supervisor %d)",
                self.host,
                self.port,
                self.workers,
                os.getpid(),
            )
            self._supervise(wake_read)
            self._drain()
            if self.failed:
                raise RuntimeError("fastcore workers keep failing at startup (see the log)")
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            signal.set_wakeup_fd(previous_wakeup)
            wake_read.close()
            wake_write.close()
            holder.close()

    def _supervise(self, wake: socket.socket) -> None:
        while not self._stopping:
            sentinels: list[Any] = [p.sentinel for p in self._processes]
            multiprocessing.connection.wait([*sentinels, wake], timeout=1.0)
            try:
                while wake.recv(64):
                    pass
            except BlockingIOError:
                pass
            if self._stopping:
                return
            for index, process in enumerate(self._processes):
                if process.is_alive():
                    continue
                process.join()
                lifetime = time.monotonic() - self._started_at.pop(id(process), 0.0)
                logger.warning(
                    "worker %s exited with code %s; starting a new one",
                    process.pid,
                    process.exitcode,
                )
                if lifetime < _MIN_WORKER_LIFETIME:
                    self._quick_failures += 1
                    if self._quick_failures >= _MAX_QUICK_FAILURES:
                        logger.error("workers keep failing at startup; stopping")
                        self.failed = True
                        self._stopping = True
                        return
                    time.sleep(_RESPAWN_BACKOFF)
                else:
                    self._quick_failures = 0
                self._processes[index] = self._spawn()

    def _drain(self) -> None:
        for process in self._processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.graceful_timeout + 5.0
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.warning("worker %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join()
        logger.info("fastcore stopped")
