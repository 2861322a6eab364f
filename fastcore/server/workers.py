"""Run N worker processes on one listening socket: replace, recycle, roll, drain.

The supervisor (the master process) creates the listening socket and keeps it
open for its whole life; the forked workers accept from it. So a worker that
stops (drained, recycled, replaced in a rolling restart) never takes queued
connections with it, and the port is never closed while the master runs.

Signals to the master:

- SIGTERM / SIGINT: every worker drains its accepted requests, then exits.
- SIGHUP: rolling restart, one worker at a time: a new worker (importing the
  app again when it is given as ``module:attribute``) starts and listens
  before an old one drains.
- SIGTTIN / SIGTTOU: one worker more / one fewer.

Each worker writes a heartbeat to the master once a second from its event
loop. A worker silent for ``WorkerConfig.timeout`` seconds (stuck in blocking
code) gets SIGUSR1, which makes :mod:`faulthandler` log its threads'
tracebacks, then SIGKILL, and is replaced. A worker notices its master's
death (``PR_SET_PDEATHSIG`` on Linux, and its parent pid, checked every tick)
and drains and exits: workers never outlive the master.
"""

from __future__ import annotations

import ctypes
import dataclasses
import faulthandler
import logging
import multiprocessing
import multiprocessing.connection
import os
import random
import signal
import socket
import ssl
import sys
import tempfile
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from fastcore.server.config import ServerConfig, WorkerConfig
from fastcore.server.serve import Server, run_single
from fastcore.server.sockets import describe_listener

__all__ = ["Supervisor", "die_with_parent"]

logger = logging.getLogger("fastcore.server")

# A worker that dies before it listens is failing at startup: respawning it
# in a tight loop would only burn CPU, so the supervisor waits a little, and
# gives up after a few such deaths in a row.
_RESPAWN_BACKOFF = 0.5
_MAX_QUICK_FAILURES = 3

# Bytes a worker writes to its status pipe.
_READY = b"R"
_BEAT = b"."
_RETIRING = b"M"
_BEAT_INTERVAL = 0.5

_PR_SET_PDEATHSIG = 1


@dataclasses.dataclass
class _WorkerSpec:
    """What a forked worker needs (inherited by fork, never pickled)."""

    app: Any
    app_ref: str | None
    sock: socket.socket
    config: ServerConfig
    ssl_context: ssl.SSLContext | None
    status_fd: int
    master_pid: int
    close_fds: list[int]
    max_requests: int
    max_memory: int
    metrics_dir: str | None


@dataclasses.dataclass(eq=False)
class _Worker:
    """The master's record of one worker process."""

    process: BaseProcess
    status_fd: int
    generation: int
    started: float
    last_beat: float
    ready: bool = False
    retiring: bool = False  # asked to stop: not replaced when it exits
    exit_reason: str = "crashed"  # for the fastcore_worker_exits metric

    @property
    def pid(self) -> int:
        return self.process.pid or 0


def die_with_parent(master_pid: int) -> None:
    """Get SIGTERM when the parent process ``master_pid`` dies (Linux), or now if it has."""
    # NOTE: Linux delivers SIGTERM to this process when the master
    # dies, however it dies (SIGKILL included); the parent-pid check in the
    # worker's heartbeat covers other systems and the race before prctl.
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != master_pid:
        os.kill(os.getpid(), signal.SIGTERM)


def _worker_main(spec: _WorkerSpec) -> None:
    # Runs in the forked child: the supervisor's signal plumbing is not ours.
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    # A terminal's hang-up or job control signals reach the whole process
    # group; they are the master's to act on.
    for signum in (signal.SIGHUP, signal.SIGTTIN, signal.SIGTTOU):
        signal.signal(signum, signal.SIG_IGN)
    for fd in spec.close_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    die_with_parent(spec.master_pid)
    app = spec.app
    if app is None:
        from fastcore.app_loader import import_app

        assert spec.app_ref is not None
        app = import_app(spec.app_ref)
    config = spec.config
    metrics = None
    if spec.metrics_dir is not None:
        from fastcore.server.metrics import RequestMetrics

        metrics = RequestMetrics(Path(spec.metrics_dir) / f"worker-{os.getpid()}.json")
        config = dataclasses.replace(config, request_metrics=True)
    heartbeat = _Heartbeat(spec, metrics)
    run_single(
        app,
        "",
        0,
        config,
        sock=spec.sock,
        ssl_context=spec.ssl_context,
        force_on_repeat=False,
        on_ready=heartbeat.start,
    )


class _Heartbeat:
    """A worker's timer: heartbeat to the master, parent check, request count."""

    def __init__(self, spec: _WorkerSpec, metrics: Any = None) -> None:
        self.spec = spec
        self.metrics = metrics
        self.server: Server | None = None

    def start(self, server: Server) -> None:
        self.server = server
        logger.info("worker %d ready", os.getpid())
        self._send(_READY)
        self._tick()

    def _send(self, message: bytes) -> bool:
        try:
            os.write(self.spec.status_fd, message)
        except BlockingIOError:
            pass  # the master is busy; the next beat will do
        except OSError:
            return False  # the master is gone
        return True

    def _tick(self) -> None:
        server = self.server
        assert server is not None and server.loop is not None
        if self.metrics is not None:
            try:
                self.metrics.write(server.state, server.app)
            except OSError:
                logger.exception("cannot write the metrics snapshot")
        if server.shutdown_requested:
            # Draining: still alive as far as the master is concerned.
            self._send(_BEAT)
        elif os.getppid() != self.spec.master_pid or not self._send(_BEAT):
            logger.warning("worker %d: the master is gone; draining", os.getpid())
            server.request_shutdown()
        else:
            reason = self._recycle_reason(server)
            if reason is not None:
                logger.info("worker %d: %s; recycling", os.getpid(), reason)
                self._send(_RETIRING)
                server.request_shutdown()
        server.loop.call_later(_BEAT_INTERVAL, self._tick)

    def _recycle_reason(self, server: Server) -> str | None:
        limit = self.spec.max_requests
        if limit and server.state is not None and server.state.request_count >= limit:
            return f"{limit} requests served"
        cap = self.spec.max_memory
        if cap:
            rss = _resident_bytes()
            if rss > cap * 1024 * 1024:
                return f"resident memory {rss // (1024 * 1024)} MiB over {cap} MiB"
        return None


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Supervisor:
    """The master process of ``fastcore run --workers N``.

    Args:
        app: The application, inherited by the forked workers; ``None`` when
            ``app_ref`` is given.
        host: The address to bind (TCP), unless ``sock`` is given.
        port: The port (0 picks a free one).
        workers: How many worker processes to run.
        config: Limits and timeouts of each worker.
        worker_config: Recycling and heartbeat settings.
        app_ref: ``module:attribute``: each worker imports the app after the
            fork, so a rolling restart (SIGHUP) serves the new code.
        metrics_port: Serve Prometheus metrics of all the workers at
            ``http://metrics_host:metrics_port/metrics`` (needs prometheus-client).
        metrics_host: The address of the metrics endpoint (loopback by default).
        sock: A listening socket to serve (``--uds``, ``--fd``).
        ssl_context: Serve TLS with this context.
    """

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        workers: int,
        config: ServerConfig,
        worker_config: WorkerConfig | None = None,
        *,
        app_ref: str | None = None,
        sock: socket.socket | None = None,
        ssl_context: ssl.SSLContext | None = None,
        metrics_port: int | None = None,
        metrics_host: str = "127.0.0.1",
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if app is None and app_ref is None:
            raise ValueError("give the app or its module:attribute reference")
        self.app = app
        self.app_ref = app_ref
        self.host = host
        self.port = port
        self.workers = workers
        self.config = config
        self.worker_config = worker_config or WorkerConfig()
        self.sock = sock
        self.ssl_context = ssl_context
        self.metrics_port = metrics_port
        self.metrics_host = metrics_host
        self.metrics: Any = None
        self.failed = False
        self._workers: list[_Worker] = []
        self._generation = 0
        self._signals: list[int] = []
        self._quick_failures = 0
        self._stopping = False
        # NOTE: fork, not spawn: what the master imported is inherited.
        self._context = multiprocessing.get_context("fork")

    # -- worker processes ----------------------------------------------------

    def _spawn(self, sock: socket.socket) -> _Worker:
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        limit = self.worker_config.max_requests
        if limit:
            limit += random.randint(0, self.worker_config.max_requests_jitter)
        spec = _WorkerSpec(
            app=self.app,
            app_ref=self.app_ref if self.app is None else None,
            sock=sock,
            config=self.config,
            ssl_context=self.ssl_context,
            status_fd=write_fd,
            master_pid=os.getpid(),
            close_fds=[read_fd, *(worker.status_fd for worker in self._workers)],
            max_requests=limit,
            max_memory=self.worker_config.max_memory,
            metrics_dir=str(self.metrics.directory) if self.metrics is not None else None,
        )
        process = self._context.Process(target=_worker_main, args=(spec,), name="fastcore-worker")
        try:
            process.start()
        finally:
            os.close(write_fd)
        now = time.monotonic()
        worker = _Worker(process, read_fd, self._generation, now, now)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.retiring = True
        worker.exit_reason = "stopped"
        if worker.process.is_alive():
            os.kill(worker.pid, signal.SIGTERM)

    def _on_signal(self, signum: int, frame: object) -> None:
        self._signals.append(signum)

    # -- the supervision loop --------------------------------------------------

    def run(self) -> None:
        """Start the workers and supervise them until SIGTERM/SIGINT, then drain.

        Raises:
            RuntimeError: Workers kept dying right after their start (the app
                fails at startup); the error is in their log output.
        """
        sock = self.sock
        if sock is None:
            from fastcore.server.sockets import create_listener

            sock = create_listener(self.host, self.port, backlog=self.config.backlog)
        if sock.family != socket.AF_UNIX:
            self.port = sock.getsockname()[1]
        wake_read, wake_write = socket.socketpair()
        wake_read.setblocking(False)
        wake_write.setblocking(False)
        previous_wakeup = signal.set_wakeup_fd(wake_write.fileno())
        handled = (
            signal.SIGTERM,
            signal.SIGINT,
            signal.SIGHUP,
            signal.SIGTTIN,
            signal.SIGTTOU,
        )
        previous = {signum: signal.signal(signum, self._on_signal) for signum in handled}
        metrics_server = None
        try:
            if self.metrics_port is not None:
                metrics_server = self._start_metrics()
            for _ in range(self.workers):
                self._spawn(sock)
            logger.info(
                "fastcore listening on %s with %d workers (supervisor %d)",
                describe_listener(sock, tls=self.ssl_context is not None),
                self.workers,
                os.getpid(),
            )
            while not self._stopping:
                self._wait(wake_read, 0.5)
                self._step(sock)
            # The master's copy of the listening socket closes first: once the
            # workers close theirs, a new connection is refused (a proxy then
            # tries another instance) instead of waiting in the queue for the
            # master to exit and being reset with its request unread.
            sock.close()
            self._drain()
            if self.failed:
                raise RuntimeError("fastcore workers keep failing at startup (see the log)")
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            signal.set_wakeup_fd(previous_wakeup)
            wake_read.close()
            wake_write.close()
            for worker in self._workers:
                os.close(worker.status_fd)
            self._workers = []
            sock.close()
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()
            if self.metrics is not None:
                self.metrics.close()

    def _start_metrics(self) -> Any:
        from fastcore.server.metrics import MetricsStore, multiprocess_directory, serve_metrics

        self.metrics = MetricsStore(Path(tempfile.mkdtemp(prefix="fastcore-metrics-")))
        # Before prometheus-client is imported here: the workers fork from this
        # process and must find it in multiprocess mode.
        if multiprocess_directory(self.metrics) is None:
            logger.warning(
                "metrics: prometheus-client was imported before the workers started and "
                "PROMETHEUS_MULTIPROC_DIR is not set, so the app's own metrics are not served"
            )
        assert self.metrics_port is not None
        server = serve_metrics(self.metrics, self.metrics_host, self.metrics_port)
        host, port = server.server_address[:2]
        self.metrics_port = port
        logger.info("metrics on http://%s:%d/metrics", host, port)
        return server

    def _wait(self, wake: socket.socket, timeout: float) -> None:
        handles: list[Any] = [wake]
        for worker in self._workers:
            handles.append(worker.process.sentinel)
            handles.append(worker.status_fd)
        multiprocessing.connection.wait(handles, timeout=timeout)
        try:
            while wake.recv(64):
                pass
        except BlockingIOError:
            pass
        now = time.monotonic()
        for worker in self._workers:
            try:
                data = os.read(worker.status_fd, 512)
            except BlockingIOError:
                continue
            if data:
                worker.last_beat = now
            if _READY in data and not worker.ready:
                worker.ready = True
                self._quick_failures = 0
            if _RETIRING in data:
                worker.retiring = True
                worker.exit_reason = "recycled"

    def _step(self, sock: socket.socket) -> None:
        while self._signals:
            self._on_master_signal(self._signals.pop(0))
        if self._stopping:
            return
        self._reap()
        if self._stopping:
            return
        self._check_heartbeats()
        self._keep_count(sock)

    def _on_master_signal(self, signum: int) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            self._stopping = True
        elif signum == signal.SIGHUP:
            self._generation += 1
            logger.info("SIGHUP: restarting the workers one at a time")
        elif signum == signal.SIGTTIN:
            self.workers += 1
            logger.info("SIGTTIN: %d workers", self.workers)
        elif signum == signal.SIGTTOU:
            if self.workers > 1:
                self.workers -= 1
            logger.info("SIGTTOU: %d workers", self.workers)

    def _reap(self) -> None:
        for worker in list(self._workers):
            if worker.process.is_alive():
                continue
            worker.process.join()
            self._workers.remove(worker)
            os.close(worker.status_fd)
            if self.metrics is not None:
                self.metrics.worker_exited(worker.pid, worker.exit_reason)
            code = worker.process.exitcode
            if worker.retiring:
                logger.info("worker %d stopped", worker.pid)
                continue
            logger.warning("worker %d exited with code %s; starting a new one", worker.pid, code)
            if not worker.ready:
                if worker.generation == self._generation and self._has_old_workers():
                    # The new code does not start: keep the running workers.
                    logger.error("SIGHUP: the new workers fail to start; keeping the old ones")
                    for other in self._workers:
                        other.generation = self._generation
                    continue
                self._quick_failures += 1
                if self._quick_failures >= _MAX_QUICK_FAILURES:
                    logger.error("workers keep failing at startup; stopping")
                    self.failed = True
                    self._stopping = True
                    return
                time.sleep(_RESPAWN_BACKOFF)

    def _has_old_workers(self) -> bool:
        return any(w.generation != self._generation and not w.retiring for w in self._workers)

    def _check_heartbeats(self) -> None:
        now = time.monotonic()
        limit = self.worker_config.timeout
        for worker in self._workers:
            if not worker.ready or worker.retiring or now - worker.last_beat < limit:
                continue
            logger.error(
                "worker %d sent no heartbeat for %.0f s (blocked); its traceback follows",
                worker.pid,
                now - worker.last_beat,
            )
            worker.exit_reason = "blocked"
            try:
                os.kill(worker.pid, signal.SIGUSR1)  # faulthandler dumps the stacks
                time.sleep(0.2)
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            worker.last_beat = now  # reaped (and replaced) on the next step

    def _keep_count(self, sock: socket.socket) -> None:
        active = [w for w in self._workers if not w.retiring]
        if self.metrics is not None:
            self.metrics.workers = len(self._workers)
        starting = any(not w.ready for w in active)
        old = [w for w in active if w.generation != self._generation]
        if len(active) < self.workers:
            for _ in range(self.workers - len(active)):
                self._spawn(sock)
        elif old and not starting and len(active) == self.workers:
            # Rolling restart: one new worker first; an old one drains once
            # the new one listens (the step below), and so on.
            self._spawn(sock)
        elif len(active) > self.workers and not starting:
            victim = old[0] if old else active[0]
            self._retire(victim)

    def _drain(self) -> None:
        for worker in self._workers:
            self._retire(worker)
        deadline = time.monotonic() + self.config.graceful_timeout + 5.0
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                logger.warning("worker %d did not stop in time; killing it", worker.pid)
                worker.process.kill()
                worker.process.join()
        logger.info("fastcore stopped")
