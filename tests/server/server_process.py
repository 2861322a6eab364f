"""A `fastcore run` subprocess for the server tests: its log lines, its pids, a bounded stop."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pids: set[int], timeout: float) -> set[int]:
    """Wait up to ``timeout`` seconds for ``pids`` to exit; return those still alive."""
    deadline = time.monotonic() + timeout
    alive = {pid for pid in pids if pid_alive(pid)}
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = {pid for pid in alive if pid_alive(pid)}
    return alive


class ServerProcess:
    """``python -m fastcore.server.cli run APP ARGS`` in ``cwd``, stderr lines in a queue.

    Every process it starts (the master and the workers it reported) is
    killed by :meth:`kill`, by pid.
    """

    def __init__(
        self,
        cwd: Path,
        app: str,
        *args: str,
        env: dict[str, str] | None = None,
        ready: str | None = r"listening on \S+:(\d+)",
        pass_fds: tuple[int, ...] = (),
    ) -> None:
        full_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
        full_env.pop("PYTHONASYNCIODEBUG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fastcore.server.cli", "run", app, *args],
            cwd=cwd,
            env=full_env,
            stderr=subprocess.PIPE,
            text=True,
            pass_fds=pass_fds,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self.seen_workers: set[int] = set()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        self.port = 0
        if ready is not None:
            match = self.wait_for(ready)
            if match.groups():
                self.port = int(match.group(1))

    @property
    def pid(self) -> int:
        return self.process.pid

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            found = re.search(r"worker (\d+) ready", line)
            if found:
                self.seen_workers.add(int(found.group(1)))
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        """The first unread log line matching ``pattern`` (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} in:\n{''.join(self.log)}") from None
            self.log.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def wait_workers(self, count: int, timeout: float = 15.0) -> set[int]:
        """Wait for ``count`` more "worker N ready" lines; return their pids."""
        return {int(self.wait_for(r"worker (\d+) ready", timeout).group(1)) for _ in range(count)}

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM the master and return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """Kill the master and every worker it reported, by pid."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        for pid in self.seen_workers:
            if pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._pump_thread.join(5)
        assert self.process.stderr is not None
        self.process.stderr.close()


class Load:
    """HTTP/1.1 clients hammering a server from a thread until :meth:`finish`.

    Half the clients open a new connection per request (``Connection:
    close``); the others keep their connection alive and, like any HTTP
    client, send a GET again on a new connection when a reused one was
    closed before a byte of the answer came (the keep-alive race RFC 9112
    section 9.3.1 allows): ``retried`` counts those. Any other failure is
    counted by kind.
    """

    def __init__(self, port: int, path: str = "/", clients: int = 8) -> None:
        self.port = port
        self.path = path
        self.clients = clients
        self.counts = {
            "ok": 0,
            "refused": 0,
            "unanswered": 0,
            "truncated": 0,
            "bad": 0,
            "retried": 0,
        }
        self.bodies: list[bytes] = []
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._started.wait(10)

    def _run(self) -> None:
        import asyncio

        async def main() -> None:
            tasks = [
                asyncio.create_task(self._client(index % 2 == 0)) for index in range(self.clients)
            ]
            await asyncio.sleep(0.2)
            self._started.set()
            await asyncio.gather(*tasks)

        asyncio.run(main())

    async def _exchange(self, reader: object, writer: object, close: bool) -> str:
        import asyncio

        assert isinstance(reader, asyncio.StreamReader) and isinstance(writer, asyncio.StreamWriter)
        extra = "Connection: close\r\n" if close else ""
        writer.write(f"GET {self.path} HTTP/1.1\r\nHost: load\r\n{extra}\r\n".encode())
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except asyncio.IncompleteReadError as exc:
            return "unanswered" if not exc.partial else "truncated"
        except (ConnectionResetError, BrokenPipeError):
            return "unanswered"
        found = re.search(rb"content-length: (\d+)", head)
        if not head.startswith(b"HTTP/1.1 200 ") or found is None:
            self.bodies.append(head)
            return "bad"
        try:
            body = await asyncio.wait_for(reader.readexactly(int(found.group(1))), 10)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            return "truncated"
        self.bodies.append(body)
        return "ok" if b"connection: close" not in head else "ok-closed"

    async def _client(self, close_each: bool) -> None:
        import asyncio

        connection = None
        reused = False
        for _ in range(100_000):  # bounded; stopped by finish()
            if self._stop.is_set():
                break
            if connection is None:
                try:
                    connection = await asyncio.open_connection("127.0.0.1", self.port)
                except OSError:
                    self.counts["refused"] += 1
                    await asyncio.sleep(0.01)
                    continue
                reused = False
            outcome = await self._exchange(*connection, close=close_each)
            if outcome == "unanswered" and reused:
                self.counts["retried"] += 1
                outcome = "closed"
            elif outcome.startswith("ok"):
                self.counts["ok"] += 1
            else:
                self.counts[outcome] += 1
            if close_each or outcome != "ok":
                connection[1].close()
                connection = None
            else:
                reused = True
            await asyncio.sleep(0.002)
        if connection is not None:
            connection[1].close()

    def finish(self) -> dict[str, int]:
        """Stop the clients and return the counts."""
        self._stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive()
        return self.counts
