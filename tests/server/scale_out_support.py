"""What the scale-out test runs: Debian's nginx, a fresh PostgreSQL database, a bounded load.

Each piece stops what it started, by pid, and removes what it created.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.server.server_process import ROOT

#: The nginx configuration the deployment guide ships (docs/deployment.md).
NGINX_SITE = ROOT / "docs" / "deployment" / "nginx.conf"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def nginx_binary() -> str | None:
    """Debian's nginx (``apt-get install nginx-light``), or None."""
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )


def redis_unavailable(url: str) -> str | None:
    """Why Redis cannot be used, or None when it answers."""
    try:
        import redis
    except ImportError:
        return "redis is not installed (pip install 'fastcore-web[redis]')"
    try:
        client = redis.Redis.from_url(url, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        return f"Redis unreachable at {url} ({type(exc).__name__}: {exc})"
    return None


def delete_redis_keys(url: str, prefix: str) -> None:
    """Remove every key under ``prefix`` (the test's own)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _pg(sql: str, database: str = "test") -> list[tuple[object, ...]]:
    import asyncpg

    async def run() -> list[tuple[object, ...]]:
        connection = await asyncpg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}")
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(run())


def create_database() -> str:
    """A new, uniquely named PostgreSQL database; returns its name."""
    name = f"fastcore_scale_{uuid.uuid4().hex[:12]}"
    _pg(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    """Drop a database made by :func:`create_database` (closing its connections)."""
    _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count_rows(database: str, sql: str) -> int:
    """The single integer ``sql`` selects from ``database``."""
    value = _pg(sql, database)[0][0]
    assert isinstance(value, int)
    return value


def site_config(listen: int, instances: list[int]) -> str:
    """The guide's nginx.conf with the test's addresses on its marked lines."""
    lines = NGINX_SITE.read_text(encoding="utf-8").splitlines()
    ports = iter(instances)
    out: list[str] = []
    for line in lines:
        if line.rstrip().endswith("# instance"):
            line = re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{next(ports)}", line)
        elif line.rstrip().endswith("# listen"):
            line = re.sub(r"listen \S+;", f"listen 127.0.0.1:{listen};", line)
        out.append(line)
    assert next(ports, None) is None, "the guide's nginx.conf lists fewer instances than started"
    return "\n".join(out) + "\n"


class Nginx:
    """nginx in the foreground, with everything it writes under ``folder``.

    The wrapper adds ``X-Upstream`` (the instance that answered) to every
    response, so the test sees which instance served each request.
    """

    def __init__(self, binary: str, folder: Path, listen: int, instances: list[int]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "site.conf").write_text(site_config(listen, instances), encoding="utf-8")
        temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        (folder / "nginx.conf").write_text(
            f"""
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    add_header X-Upstream $upstream_addr always;
    include {folder / "site.conf"};
}}
""",
            encoding="utf-8",
        )
        self.folder = folder
        self.port = listen
        self.process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"],
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited: {self.process.communicate()[1]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", listen, timeout=1)
                connection.connect()
                connection.close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not listen within 10 s")

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def stop(self) -> None:
        """Stop nginx (its master, by pid; its worker follows)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stderr is not None:
            self.process.stderr.close()


#: One request of a load: (method, path, body) made fresh for each call.
RequestMaker = Callable[[int], tuple[str, str, str | None]]


class Load:
    """``clients`` threads sending requests through nginx until stopped or bounded.

    Every request gets a fresh keep-alive connection to nginx only when the
    previous one failed; each result is the status, or the failure's name.
    At most ``max_requests`` requests and ``max_seconds`` seconds in all.
    """

    def __init__(
        self,
        port: int,
        make: RequestMaker,
        headers: dict[str, str],
        *,
        clients: int = 4,
        max_requests: int = 4000,
        max_seconds: float = 20.0,
    ) -> None:
        self.port = port
        self.make = make
        self.headers = headers
        self.max_requests = max_requests
        self.deadline = time.monotonic() + max_seconds
        self.results: list[tuple[int, str, int | str, str]] = []  # (n, method, status, upstream)
        self._lock = threading.Lock()
        self._sent = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]
        for thread in self._threads:
            thread.start()

    def _next(self) -> int | None:
        with self._lock:
            if self._stop.is_set() or self._sent >= self.max_requests:
                return None
            if time.monotonic() > self.deadline:
                return None
            self._sent += 1
            return self._sent

    def _client(self) -> None:
        connection: http.client.HTTPConnection | None = None
        while (number := self._next()) is not None:
            method, path, body = self.make(number)
            headers = dict(self.headers)
            if body is not None:
                headers["content-type"] = "application/x-www-form-urlencoded"
            status: int | str
            upstream = ""
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                upstream = response.getheader("x-upstream", "")
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                if connection is not None:
                    connection.close()
                connection = None
            with self._lock:
                self.results.append((number, method, status, upstream))
        if connection is not None:
            connection.close()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` requests have been answered."""
        deadline = time.monotonic() + timeout
        while len(self.results) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def finish(self) -> Counter[int | str]:
        """Stop sending, wait for the answers, return the count of each status."""
        self._stop.set()
        for thread in self._threads:
            thread.join(40)
        return Counter(status for _, _, status, _ in self.results)

    def numbers_with(self, status: int) -> set[int]:
        """The request numbers answered with ``status``."""
        return {number for number, _, answer, _ in self.results if answer == status}

    def per_second(self, elapsed: float) -> float:
        return len(self.results) / elapsed if elapsed else 0.0
