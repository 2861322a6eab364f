"""`fastcore run` with worker processes: graceful drain under load, worker replacement."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

APP_MODULE = textwrap.dedent(
    """
    import asyncio, os
    from fastcore._speedups.http_parser import RequestHead
    from fastcore.responses import PlainTextResponse

    class CountingApp:
        request_class = RequestHead
        accepted = 0

        async def startup(self):
            pass

        async def shutdown(self):
            with open(os.environ["COUNT_FILE"], "a") as out:
                out.write(f"{os.getpid()} {self.accepted}\\n")

        def build_dispatch(self):
            async def dispatch(request):
                self.accepted += 1
                await asyncio.sleep(0.02)
                return PlainTextResponse(f"pid {os.getpid()}")
            return dispatch

    app = CountingApp()
    """
)


class ServerProcess:
    """`python -m fastcore.server.cli run` in a subprocess, its log lines in a queue."""

    def __init__(self, tmp_path: Path, workers: int) -> None:
        (tmp_path / "countapp.py").write_text(APP_MODULE)
        self.count_file = tmp_path / "counts.txt"
        env = dict(os.environ, PYTHONPATH=str(ROOT), COUNT_FILE=str(self.count_file))
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fastcore.server.cli",
                "run",
                "countapp:app",
                "--port",
                "0",
                "--workers",
                str(workers),
                "--graceful-timeout",
                "5",
            ],
            cwd=tmp_path,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        self.port = int(self.wait_for(r"listening on http://127\.0\.0\.1:(\d+)").group(1))
        self.workers = {int(self.wait_for(r"worker (\d+) ready").group(1)) for _ in range(workers)}

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} in {self.log}") from None
            self.log.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self._pump_thread.join(5)
        assert self.process.stderr is not None
        self.process.stderr.close()


async def one_client(port: int, stop_at: float, results: dict[str, int]) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        results["refused"] += 1
        return
    try:
        for _ in range(500):  # bounded count per connection
            if time.monotonic() > stop_at:
                return
            writer.write(b"GET / HTTP/1.1\r\nHost: load\r\n\r\n")
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                # Closed before any byte of an answer: the request was not accepted.
                results["unanswered" if not exc.partial else "truncated"] += 1
                return
            except ConnectionResetError:
                results["unanswered"] += 1
                return
            length = int(re.search(rb"content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            try:
                body = await reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionResetError):
                results["truncated"] += 1
                return
            assert head.startswith(b"HTTP/1.1 200 OK") and body.startswith(b"pid ")
            results["ok"] += 1
            if b"connection: close" in head:
                return
    finally:
        writer.close()


async def load(port: int, seconds: float, on_started: threading.Event) -> dict[str, int]:
    results = {"ok": 0, "unanswered": 0, "truncated": 0, "refused": 0}
    stop_at = time.monotonic() + seconds
    clients = [asyncio.create_task(one_client(port, stop_at, results)) for _ in range(16)]
    await asyncio.sleep(0.3)
    on_started.set()
    await asyncio.wait_for(asyncio.gather(*clients), seconds + 10)
    return results


def test_sigterm_under_load_answers_every_accepted_request(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, workers=2)
    try:
        started = threading.Event()
        box: dict[str, dict[str, int]] = {}
        thread = threading.Thread(
            target=lambda: box.update(results=asyncio.run(load(server.port, 4.0, started)))
        )
        thread.start()
        assert started.wait(5)
        assert server.stop() == 0
        thread.join(20)
    finally:
        server.kill()
    results = box["results"]
    counts = [line.split() for line in server.count_file.read_text().splitlines()]
    accepted = sum(int(count) for _, count in counts)
    assert len(counts) == 2
    assert results["truncated"] == 0
    assert results["ok"] > 0
    assert accepted == results["ok"], (results, counts)


def test_a_killed_worker_is_replaced(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, workers=2)
    try:
        victim = min(server.workers)
        os.kill(victim, signal.SIGKILL)
        replacement = int(server.wait_for(r"worker (\d+) ready").group(1))
        assert replacement not in server.workers
        results = asyncio.run(load(server.port, 0.5, threading.Event()))
        assert results["ok"] > 0 and results["truncated"] == 0 and results["unanswered"] == 0
        assert server.stop() == 0
    finally:
        server.kill()


def test_workers_failing_at_startup_stop_the_supervisor(tmp_path: Path) -> None:
    (tmp_path / "brokenapp.py").write_text(
        textwrap.dedent(
            """
            class BrokenApp:
                async def startup(self):
                    raise RuntimeError("cannot reach the database")

                async def shutdown(self):
                    pass

                def build_dispatch(self):
                    raise AssertionError("never built")

            app = BrokenApp()
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fastcore.server.cli",
            "run",
            "brokenapp:app",
            "--port",
            "0",
            "--workers",
            "2",
        ],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "cannot reach the database" in result.stderr
    assert "keep failing at startup" in result.stderr
