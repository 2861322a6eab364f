"""``--metrics-port``: request metrics of every worker, served by the master for Prometheus.

Each worker's protocol counts its answered requests in C-level dictionaries
(``ServerConfig.request_metrics``: no Python call, lock or file write per
request), and the worker writes a snapshot to the metrics directory on its
heartbeat, twice a second, with the connections its app's database pools
have checked out at that moment. The master serves
the sum over the workers, plus the totals of the workers that have exited,
on a separate loopback port in the Prometheus text format (built with
prometheus-client), so the metrics never appear on the application's port.

The app's own prometheus-client metrics (a ``Counter`` in a handler) are
served there too, summed over the workers by prometheus-client's
multiprocess mode: :func:`multiprocess_directory` points
``PROMETHEUS_MULTIPROC_DIR`` at a folder before the workers start (they
import the app, and with it prometheus-client, after the fork).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastcore._speedups.protocol import REQUEST_DURATION_BUCKETS
from fastcore.components import app_databases

__all__ = [
    "BUCKETS",
    "MetricsStore",
    "RequestMetrics",
    "multiprocess_directory",
    "serve_metrics",
]

#: The environment variable prometheus-client reads, once, when imported.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Upper bounds (seconds) of the request duration histogram's buckets.
BUCKETS: tuple[float, ...] = REQUEST_DURATION_BUCKETS

# SECURITY: labels come from the route pattern, never from the raw path, so
# a client cannot grow the label set (and the master's memory) at will.
_UNMATCHED = "<unmatched>"


def _route_label(route: Any) -> str:
    pattern = getattr(route, "pattern", None)
    return pattern if isinstance(pattern, str) else _UNMATCHED


class RequestMetrics:
    """Writes a worker's request counters (``ServerState.request_metrics()``) to a file.

    Args:
        path: The snapshot file this worker writes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._databases: dict[str, Any] | None = None

    def write(self, state: Any, app: Any = None) -> None:
        """Write the snapshot file atomically (the heartbeat calls this).

        Args:
            state: The worker's ``ServerState`` (None before it listens).
            app: The served app, whose databases' pools are read.
        """
        requests: dict[tuple[str, str, int], int] = {}
        durations: dict[str, list[float]] = {}
        if state is not None:
            counts, histograms = state.request_metrics()
            for (route, method, status), count in counts.items():
                key = (_route_label(route), method, status)
                requests[key] = requests.get(key, 0) + count
            for route, row in histograms.items():
                total = durations.setdefault(_route_label(route), [0.0] * len(row))
                for index, value in enumerate(row):
                    total[index] += value
        snapshot = {
            "requests": [[*key, count] for key, count in requests.items()],
            "durations": durations,
            "in_progress": state.active if state is not None else 0,
            "connections": state.connection_count if state is not None else 0,
            "db_in_use": self._pools_in_use(app),
        }
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(snapshot))
        os.replace(partial, self.path)

    def _pools_in_use(self, app: Any) -> dict[str, int]:
        if app is None:
            return {}
        if self._databases is None:
            # The middleware list is fixed once the app has started.
            self._databases = app_databases(app)
        return {name: db.connections_in_use for name, db in self._databases.items()}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


class MetricsStore:
    """The master's view: live worker snapshots plus the totals of exited workers.

    Args:
        directory: Where the workers write their snapshots.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], float] = {}
        self.durations: dict[str, list[float]] = {}
        self.worker_exits: dict[str, int] = {}
        self.workers = 0
        #: Where the workers' prometheus-client metrics live (None: not collected).
        self.multiprocess_dir: Path | None = None

    def close(self) -> None:
        """Remove the snapshots folder, and ``PROMETHEUS_MULTIPROC_DIR`` if it pointed inside."""
        own = str(self.directory / "prometheus")
        if os.environ.get(MULTIPROC_ENV) == own:
            del os.environ[MULTIPROC_ENV]
        shutil.rmtree(self.directory, ignore_errors=True)

    def worker_path(self, pid: int) -> Path:
        """The snapshot file of worker ``pid``."""
        return self.directory / f"worker-{pid}.json"

    def worker_exited(self, pid: int, reason: str) -> None:
        """Fold an exited worker's last snapshot into the totals; count the exit."""
        if self.multiprocess_dir is not None:
            from prometheus_client import multiprocess

            # Its live gauges leave the sums; its counters stay (their files remain).
            multiprocess.mark_process_dead(pid, str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
        path = self.worker_path(pid)
        snapshot = _read(path)
        with self.lock:
            if snapshot is not None:
                self._add(snapshot, self.requests, self.durations)
            self.worker_exits[reason] = self.worker_exits.get(reason, 0) + 1
        path.unlink(missing_ok=True)

    @staticmethod
    def _add(
        snapshot: dict[str, Any],
        requests: dict[tuple[str, str, int], float],
        durations: dict[str, list[float]],
    ) -> None:
        for route, method, status, count in snapshot.get("requests", []):
            key = (str(route), str(method), int(status))
            requests[key] = requests.get(key, 0) + count
        for route, histogram in snapshot.get("durations", {}).items():
            total = durations.setdefault(route, [0.0] * (len(BUCKETS) + 2))
            for index, value in enumerate(histogram[: len(total)]):
                total[index] += value

    def collect(self) -> Iterator[Any]:
        """Yield the metric families (prometheus-client's custom collector protocol)."""
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        with self.lock:
            requests = dict(self.requests)
            durations = {route: list(values) for route, values in self.durations.items()}
            exits = dict(self.worker_exits)
            workers = self.workers
        in_progress = connections = 0
        pools: dict[str, int] = {}
        for path in sorted(self.directory.glob("worker-*.json")):
            snapshot = _read(path)
            if snapshot is None:
                continue
            self._add(snapshot, requests, durations)
            in_progress += int(snapshot.get("in_progress", 0))
            connections += int(snapshot.get("connections", 0))
            for name, in_use in snapshot.get("db_in_use", {}).items():
                pools[str(name)] = pools.get(str(name), 0) + int(in_use)

        counter = CounterMetricFamily(
            "fastcore_requests", "Answered requests.", labels=["route", "method", "status"]
        )
        for (route, method, status), count in sorted(requests.items()):
            counter.add_metric([route, method, str(status)], count)
        yield counter
        histogram = HistogramMetricFamily(
            "fastcore_request_duration_seconds", "Time to answer a request.", labels=["route"]
        )
        for route, values in sorted(durations.items()):
            cumulative, buckets = 0.0, []
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), values[:-1], strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            histogram.add_metric([route], buckets, sum_value=values[-1])
        yield histogram
        yield GaugeMetricFamily(
            "fastcore_requests_in_progress", "Requests running in a Task now.", value=in_progress
        )
        yield GaugeMetricFamily("fastcore_connections_open", "Open connections.", value=connections)
        pool_gauge = GaugeMetricFamily(
            "fastcore_db_connections_in_use",
            "Database pool connections checked out, at the workers' last heartbeat.",
            labels=["database"],
        )
        for name, in_use in sorted(pools.items()):
            pool_gauge.add_metric([name], in_use)
        yield pool_gauge
        yield GaugeMetricFamily("fastcore_workers", "Worker processes running.", value=workers)
        restarts = CounterMetricFamily(
            "fastcore_worker_exits", "Workers that exited, by reason.", labels=["reason"]
        )
        for reason, count in sorted(exits.items()):
            restarts.add_metric([reason], count)
        yield restarts


def serve_metrics(store: MetricsStore, host: str, port: int) -> Any:
    """Serve ``store`` at ``http://host:port/metrics`` from a daemon thread.

    Returns:
        The HTTP server (``server_address`` holds the bound port; ``shutdown()`` stops it).

    Raises:
        ImportError: prometheus-client is not installed.
    """
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(store)
    if store.multiprocess_dir is not None:
        multiprocess.MultiProcessCollector(registry, path=str(store.multiprocess_dir))  # type: ignore[no-untyped-call]
    server, _thread = start_http_server(port, host, registry)
    return server


def multiprocess_directory(store: MetricsStore) -> Path | None:
    """Prepare prometheus-client's multiprocess mode for the workers of ``store``.

    ``PROMETHEUS_MULTIPROC_DIR`` is kept when the operator set it (the folder
    is theirs to empty between runs), else set to a new folder inside the
    store's (removed with it). Returns None, and collects nothing of the
    app's, when prometheus-client was already imported in this process with
    no such folder: the forked workers would inherit its single-process mode.
    """
    import sys

    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
    elif "prometheus_client" in sys.modules:
        return None
    else:
        directory = store.directory / "prometheus"
        directory.mkdir()
        os.environ[MULTIPROC_ENV] = str(directory)
    store.multiprocess_dir = directory
    return directory
