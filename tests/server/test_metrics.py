"""--metrics-port: the master serves every worker's request metrics for Prometheus."""

from __future__ import annotations

import http.client
import re
import signal
import textwrap
import time
from pathlib import Path

import pytest

from tests.server.server_process import ServerProcess

pytest.importorskip("prometheus_client", reason="--metrics-port needs prometheus-client")

pytestmark = pytest.mark.slow

APP_SOURCE = textwrap.dedent(
    """
    from fastcore.app import App

    app = App()

    @app.get("/items/{item_id:int}")
    async def item(item_id: int) -> dict[str, int]:
        return {"item": item_id}
    """
)


def fetch(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition ``text`` (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit(" ", 1)[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def scrape_until(port: int, ready: object, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status, text = fetch(port, "/metrics")
        assert status == 200
        if ready(text) or time.monotonic() > deadline:  # type: ignore[operator]
            return text
        time.sleep(0.1)


def test_metrics_count_requests_by_route_template_across_workers_and_restarts(
    tmp_path: Path,
) -> None:
    (tmp_path / "metricsapp.py").write_text(APP_SOURCE)
    server = ServerProcess(
        tmp_path,
        "metricsapp:app",
        *("--port", "0", "--workers", "2", "--metrics-port", "0"),
        ready=r"metrics on http://127\.0\.0\.1:(\d+)/metrics",
    )
    try:
        metrics_port = server.port
        server.port = int(server.wait_for(r"listening on \S+:(\d+)").group(1))
        server.wait_workers(2)
        for item_id in range(6):
            assert fetch(server.port, f"/items/{item_id}")[0] == 200
        for path in ("/nope", "/nope/again"):
            assert fetch(server.port, path)[0] == 404
        # The metrics are not on the application's port.
        assert fetch(server.port, "/metrics")[0] == 404
        route = "/items/{item_id:int}"

        def counted(text: str) -> bool:
            return sample(text, "fastcore_requests_total", route=route) == 6

        text = scrape_until(metrics_port, counted)
        assert sample(text, "fastcore_requests_total", route=route, status="200") == 6
        # Unmatched paths share one label: a client cannot mint labels.
        assert sample(text, "fastcore_requests_total", route="<unmatched>", status="404") == 3
        assert "/nope" not in text
        assert sample(text, "fastcore_request_duration_seconds_count", route=route) == 6
        assert sample(text, "fastcore_request_duration_seconds_bucket", route=route, le="+Inf") == 6
        assert sample(text, "fastcore_workers") == 2

        # A stopped worker's counts stay in the totals; its exit is counted.
        server.signal(signal.SIGTTOU)
        server.wait_for(r"worker \d+ stopped")
        text = scrape_until(
            metrics_port, lambda text: sample(text, "fastcore_worker_exits_total") == 1
        )
        assert sample(text, "fastcore_worker_exits_total", reason="stopped") == 1
        assert sample(text, "fastcore_requests_total", route=route, status="200") == 6
        assert server.stop() == 0
    finally:
        server.kill()


POOL_APP_SOURCE = textwrap.dedent(
    """
    import asyncio
    from pathlib import Path

    from sqlalchemy import text

    from fastcore.app import App
    from fastcore.orm import Database

    app = App()
    database = Database("sqlite+aiosqlite:///" + str(Path("pool.db").resolve()))
    database.init_app(app)

    @app.get("/hold")
    async def hold(request) -> dict[str, int]:
        # Holds a pooled connection (and the request) until release.flag exists.
        await request.db.execute(text("SELECT 1"))
        for _ in range(200):
            if Path("release.flag").exists():
                break
            await asyncio.sleep(0.05)
        return {"held": 1}
    """
)


def test_metrics_show_requests_in_progress_and_database_connections_in_use(
    tmp_path: Path,
) -> None:
    (tmp_path / "poolapp.py").write_text(POOL_APP_SOURCE)
    server = ServerProcess(
        tmp_path,
        "poolapp:app",
        *("--port", "0", "--workers", "2", "--metrics-port", "0"),
        ready=r"metrics on http://127\.0\.0\.1:(\d+)/metrics",
    )
    try:
        metrics_port = server.port
        server.port = int(server.wait_for(r"listening on \S+:(\d+)").group(1))
        server.wait_workers(2)
        text = scrape_until(metrics_port, lambda text: "fastcore_db_connections_in_use" in text)
        assert sample(text, "fastcore_db_connections_in_use", database="database") == 0
        assert sample(text, "fastcore_requests_in_progress") == 0

        held = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
        held.request("GET", "/hold")
        try:

            def holding(text: str) -> bool:
                return sample(text, "fastcore_db_connections_in_use", database="database") == 1

            text = scrape_until(metrics_port, holding)
            assert sample(text, "fastcore_db_connections_in_use", database="database") == 1
            assert sample(text, "fastcore_requests_in_progress") == 1
        finally:
            (tmp_path / "release.flag").write_text("")
        response = held.getresponse()
        assert response.status == 200
        response.read()
        held.close()

        def released(text: str) -> bool:
            return sample(text, "fastcore_requests_total", route="/hold", status="200") == 1

        text = scrape_until(metrics_port, released)
        assert sample(text, "fastcore_db_connections_in_use", database="database") == 0
        assert sample(text, "fastcore_requests_in_progress") == 0
        assert server.stop() == 0
    finally:
        server.kill()


OWN_METRICS_APP_SOURCE = textwrap.dedent(
    """
    import os

    from prometheus_client import Counter

    from fastcore.app import App

    app = App()
    hits = Counter("app_hits", "Hits counted by the app itself", ["page"])

    @app.get("/hit")
    async def hit() -> dict[str, int]:
        hits.labels(page="hit").inc()
        return {"pid": os.getpid()}
    """
)


def test_the_apps_own_prometheus_metrics_are_summed_over_the_workers(tmp_path: Path) -> None:
    (tmp_path / "ownmetricsapp.py").write_text(OWN_METRICS_APP_SOURCE)
    server = ServerProcess(
        tmp_path,
        "ownmetricsapp:app",
        *("--port", "0", "--workers", "2", "--metrics-port", "0"),
        ready=r"metrics on http://127\.0\.0\.1:(\d+)/metrics",
    )
    try:
        metrics_port = server.port
        server.port = int(server.wait_for(r"listening on \S+:(\d+)").group(1))
        server.wait_workers(2)
        pids: set[str] = set()
        requests = 0
        # A new connection per request: the kernel spreads them over both workers.
        while len(pids) < 2 and requests < 200:
            status, body = fetch(server.port, "/hit")
            assert status == 200
            pids.add(body)
            requests += 1
        assert len(pids) == 2, "every request went to one worker"

        def counted(text: str) -> bool:  # the workers' snapshots come on their heartbeat
            return (
                sample(text, "app_hits_total", page="hit") == requests
                and sample(text, "fastcore_requests_total", route="/hit") == requests
            )

        text = scrape_until(metrics_port, counted)
        # prometheus-client's multiprocess mode: both workers' counts, summed.
        assert sample(text, "app_hits_total", page="hit") == requests
        assert sample(text, "fastcore_requests_total", route="/hit", status="200") == requests
        assert server.stop() == 0
    finally:
        server.kill()
