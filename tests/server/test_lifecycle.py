"""The worker supervisor over real processes: master death, SIGHUP, SIGTTIN/TTOU, heartbeat."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import textwrap
import time
from pathlib import Path

import pytest

from tests.server.server_process import Load, ServerProcess, pid_alive, wait_gone

pytestmark = pytest.mark.slow

APP_SOURCE = textwrap.dedent(
    """
    import asyncio, os, time
    from fastcore._speedups.http_parser import RequestHead
    from fastcore.responses import PlainTextResponse

    VERSION = "v1"

    class LifeApp:
        request_class = RequestHead

        async def startup(self):
            pass

        async def shutdown(self):
            pass

        def build_dispatch(self):
            async def dispatch(request):
                if request.path == "/slow":
                    await asyncio.sleep(0.3)
                elif request.path == "/block":
                    time.sleep(60)  # blocks the event loop
                return PlainTextResponse(f"{VERSION} {os.getpid()}")
            return dispatch

    app = LifeApp()
    """
)


def deploy(tmp_path: Path, source: str) -> None:
    """Replace the app's module as a deploy does.

    Its mtime moves two seconds on: "v1" and "v2" are the same size, and a
    rewrite within the second of the first import would otherwise match the
    cached bytecode's (mtime, size), so the new workers would run the old code.
    """
    path = tmp_path / "lifeapp.py"
    path.write_text(source)
    later = path.stat().st_mtime + 2
    os.utime(path, (later, later))


def start(tmp_path: Path, *args: str, source: str = APP_SOURCE) -> ServerProcess:
    (tmp_path / "lifeapp.py").write_text(source)
    return ServerProcess(tmp_path, "lifeapp:app", "--port", "0", "--graceful-timeout", "5", *args)


def get(port: int, path: str = "/", timeout: float = 5.0) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_workers_drain_and_exit_when_the_master_is_killed(tmp_path: Path) -> None:
    server = start(tmp_path, "--workers", "2")
    try:
        workers = server.wait_workers(2)
        # A request in flight when the master dies is still answered.
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("GET", "/slow")
        time.sleep(0.05)
        server.signal(signal.SIGKILL)
        response = connection.getresponse()
        assert response.status == 200
        assert response.read().startswith(b"v1 ")
        connection.close()
        assert wait_gone(workers, 3.0) == set()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    finally:
        server.kill()


def test_sighup_restarts_the_workers_one_by_one_with_new_code_and_no_failed_request(
    tmp_path: Path,
) -> None:
    server = start(tmp_path, "--workers", "2")
    try:
        old = server.wait_workers(2)
        load = Load(server.port)
        time.sleep(0.3)
        deploy(tmp_path, APP_SOURCE.replace('"v1"', '"v2"'))
        server.signal(signal.SIGHUP)
        new = server.wait_workers(2)
        assert wait_gone(old, 10.0) == set()
        time.sleep(0.3)
        counts = load.finish()
        assert pid_alive(server.pid)
        assert counts["ok"] > 50
        failures = {kind: counts[kind] for kind in ("refused", "unanswered", "truncated", "bad")}
        assert failures == {"refused": 0, "unanswered": 0, "truncated": 0, "bad": 0}, counts
        assert not new & old
        status, body = get(server.port)
        assert status == 200 and body.startswith("v2 ") and int(body.split()[1]) in new
        assert server.stop() == 0
    finally:
        server.kill()


def test_sighup_keeps_the_old_workers_when_the_new_code_fails(tmp_path: Path) -> None:
    server = start(tmp_path, "--workers", "2")
    try:
        old = server.wait_workers(2)
        deploy(tmp_path, APP_SOURCE + "\nraise RuntimeError('broken deploy')\n")
        server.signal(signal.SIGHUP)
        server.wait_for(r"new workers fail to start; keeping the old ones")
        assert {pid for pid in old if pid_alive(pid)} == old
        status, body = get(server.port)
        assert status == 200 and body.startswith("v1 ")
        assert "broken deploy" in "".join(server.log)
        assert server.stop() == 0
    finally:
        server.kill()


def test_sighup_to_a_single_process_serves_the_new_code_on_the_same_socket(
    tmp_path: Path,
) -> None:
    server = start(tmp_path)  # no --workers: no master, the process serves itself
    try:
        status, body = get(server.port)
        assert status == 200 and body == f"v1 {server.pid}"
        load = Load(server.port)
        time.sleep(0.3)
        deploy(tmp_path, APP_SOURCE.replace('"v1"', '"v2"'))
        server.signal(signal.SIGHUP)
        server.wait_for(r"SIGHUP: draining")
        server.wait_for(r"listening on", timeout=20)  # the new code, on the same socket
        time.sleep(0.3)
        counts = load.finish()
        failures = {kind: counts[kind] for kind in ("refused", "unanswered", "truncated", "bad")}
        assert failures == {"refused": 0, "unanswered": 0, "truncated": 0, "bad": 0}, counts
        assert counts["ok"] > 20
        status, body = get(server.port)
        assert (status, body) == (200, f"v2 {server.pid}")  # same process (exec), same port
        assert server.stop() == 0
    finally:
        server.kill()


def test_sighup_to_a_single_process_keeps_the_old_code_when_the_new_fails(
    tmp_path: Path,
) -> None:
    server = start(tmp_path)
    try:
        deploy(tmp_path, APP_SOURCE + "\nraise RuntimeError('broken deploy')\n")
        server.signal(signal.SIGHUP)
        server.wait_for(r"the new code does not start; the old one keeps serving")
        status, body = get(server.port)
        assert (status, body) == (200, f"v1 {server.pid}")
        assert "broken deploy" in "".join(server.log) + "".join(
            server.lines.get() for _ in range(server.lines.qsize())
        )
        assert server.stop() == 0
    finally:
        server.kill()


def test_sigttin_adds_a_worker_and_sigttou_removes_one(tmp_path: Path) -> None:
    server = start(tmp_path, "--workers", "2")
    try:
        first = server.wait_workers(2)
        server.signal(signal.SIGTTIN)
        added = server.wait_workers(1)
        assert not added & first
        server.signal(signal.SIGTTOU)
        stopped = int(server.wait_for(r"worker (\d+) stopped").group(1))
        assert stopped in first | added
        assert wait_gone({stopped}, 5.0) == set()
        assert sum(pid_alive(pid) for pid in first | added) == 2
        assert get(server.port)[0] == 200
        assert server.stop() == 0
    finally:
        server.kill()


def test_a_worker_blocked_in_sync_code_is_killed_with_its_traceback_and_replaced(
    tmp_path: Path,
) -> None:
    server = start(tmp_path, "--workers", "2", "--timeout", "1.5")
    try:
        workers = server.wait_workers(2)
        blocked = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        blocked.sendall(b"GET /block HTTP/1.1\r\nHost: t\r\n\r\n")
        victim = int(server.wait_for(r"worker (\d+) sent no heartbeat", 10).group(1))
        assert victim in workers
        server.wait_for(r'lifeapp\.py", line \d+ in dispatch')
        replacement = server.wait_workers(1)
        assert not replacement & workers
        assert wait_gone({victim}, 5.0) == set()
        blocked.close()
        assert get(server.port)[0] == 200
        assert server.stop() == 0
    finally:
        server.kill()


def test_max_requests_recycles_workers_without_failing_a_request(tmp_path: Path) -> None:
    server = start(tmp_path, "--workers", "1", "--max-requests", "10", "--max-requests-jitter", "3")
    try:
        server.wait_workers(1)
        pids = set()
        for _ in range(120):  # about 2.5 s of paced requests
            status, body = get(server.port)
            assert status == 200
            pids.add(int(body.split()[1]))
            time.sleep(0.02)
        assert len(pids) >= 3
        server.wait_for(r"requests served; recycling")
        assert server.stop() == 0
    finally:
        server.kill()


def test_a_worker_over_the_memory_cap_is_recycled_gracefully(tmp_path: Path) -> None:
    source = APP_SOURCE.replace(
        'elif request.path == "/block":',
        'elif request.path == "/grow":\n                GROWN.append(bytearray(64 * 1024 * 1024))\n'
        '            elif request.path == "/block":',
    ).replace('VERSION = "v1"', 'VERSION = "v1"\nGROWN = []')
    server = start(tmp_path, "--workers", "1", "--max-worker-memory", "200", source=source)
    try:
        (first,) = server.wait_workers(1)
        time.sleep(1.2)  # a few checks below the cap: no recycling
        assert pid_alive(first)
        for _ in range(4):  # 4 x 64 MiB
            assert get(server.port, "/grow")[0] == 200
        server.wait_for(rf"worker {first}: resident memory \d+ MiB over 200 MiB; recycling")
        (second,) = server.wait_workers(1)
        assert wait_gone({first}, 10.0) == set()
        status, body = get(server.port)
        assert status == 200 and body == f"v1 {second}"
        assert server.stop() == 0
    finally:
        server.kill()


def test_a_single_process_restart_listens_on_the_socket_it_inherits() -> None:
    from fastcore.server.hangup import restart_argv

    argv = ["run", "app:app", "--host", "::1", "--port=8000", "--uds", "/run/a.sock", "--fd", "3"]
    argv += ["--access-log"]
    assert restart_argv(argv, 7) == ["run", "app:app", "--access-log", "--fd", "7"]
