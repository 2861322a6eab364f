"""Self-tests of the load harness: wrk parsing, checks, process control, report.

Run with ``python -m pytest bench/load/test_harness.py -q`` (a few seconds;
no wrk needed). They guard the harness itself, never a server's speed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import best_peer, render_markdown  # noqa: E402
from run import (  # noqa: E402
    HOST,
    RunResult,
    check_pipelining,
    free_port,
    parse_wrk,
    start_server,
    stop_server,
    validate,
    wait_until_ready,
)
from servers import SERVERS, ServerSpec  # noqa: E402
from syscalls_per_request import parse_perf_csv, parse_perf_dso_report  # noqa: E402

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:40000/plaintext
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   664.58us  109.29us   1.82ms   79.04%
    Req/Sec    96.37k     8.75k  111.65k    65.00%
  Latency Distribution
     50%  657.00us
     75%  722.00us
     90%  783.00us
     99%    1.20s
  190970 requests in 5.00s, 29.32MB read
  Socket errors: connect 0, read 12, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  38194.00
Transfer/sec:     14.65MB
"""


def test_parse_wrk_reads_counts_errors_and_latency() -> None:
    result = RunResult("server", "plaintext", 0)
    parse_wrk(WRK_OUTPUT, result)
    assert result.requests == 190970
    assert result.seconds == pytest.approx(5.0)
    assert result.requests_per_second == pytest.approx(38194.0)
    assert result.socket_errors == {"read": 12, "timeout": 3}
    assert result.non_2xx == 7
    assert result.latency_p50_ms == pytest.approx(0.657)
    assert result.latency_p99_ms == pytest.approx(1200.0)


def test_parse_wrk_refuses_output_without_a_total() -> None:
    with pytest.raises(ValueError):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n", RunResult("s", "w", 0))


@pytest.fixture
def baseline_server(tmp_path: Path) -> Iterator[int]:
    """The fixed-bytes protocol server, started the way the harness does."""
    port = free_port()
    proc = start_server(SERVERS["uvloop-protocol"], port, 0, tmp_path / "server.log")
    try:
        wait_until_ready(proc, port, 20.0)
        yield port
    finally:
        stop_server(proc)


def test_a_correct_server_passes_validation(baseline_server: int) -> None:
    assert validate(baseline_server) == []


class _OneAnswerPerRead:
    """A broken server: one fixed answer per read, however many requests came."""

    ANSWER = (
        b"HTTP/1.1 200 OK\r\nServer: t\r\nDate: x\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 13\r\n\r\nHello, World!"
    )

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(5.0)
            try:
                while conn.recv(65536):
                    conn.sendall(self.ANSWER)
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=5.0)


def test_check_pipelining_flags_a_server_that_drops_pipelined_requests() -> None:
    server = _OneAnswerPerRead()
    try:
        problems = check_pipelining(server.port, timeout=1.0)
    finally:
        server.close()
    assert problems == ["pipelining: 1 of 16 pipelined requests answered"]


def test_stop_server_kills_a_group_that_ignores_sigterm(tmp_path: Path) -> None:
    stubborn = (
        "import signal, subprocess, sys, time;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "subprocess.Popen([sys.executable, '-c', "
        "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)']);"
        "time.sleep(60)"
    )
    spec = ServerSpec(
        "stubborn",
        "peer",
        "ignores SIGTERM",
        lambda host, port: [sys.executable, "-c", stubborn],
        (),
    )
    proc = start_server(spec, free_port(), 0, tmp_path / "stubborn.log")
    deadline = time.monotonic() + 10
    while not psutil.Process(proc.pid).children() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = psutil.Process(proc.pid).children()[0]
    started = time.monotonic()
    stop_server(proc, grace=0.5)
    assert proc.returncode is not None
    assert time.monotonic() - started < 5
    child.wait(timeout=5)
    assert not child.is_running()


def _run(server: str, workload: str, rps: float, cpu: float) -> RunResult:
    return RunResult(
        server,
        workload,
        0,
        requests=int(rps * 5),
        seconds=5.0,
        requests_per_second=rps,
        server_cpu_seconds=cpu,
        server_system_seconds=cpu / 4,
    )


def test_perf_counts_are_read_by_event_and_unsupported_ones_skipped() -> None:
    output = (
        "# started on Tue Dec  8 00:00:00 2026\n\n"
        "62104,,raw_syscalls:sys_enter,3004170121,100.00,,\n"
        "31050,,syscalls:sys_enter_read,3004170121,100.00,,\n"
        "<not supported>,,syscalls:sys_enter_futex,0,100.00,,\n"
    )
    assert parse_perf_csv(output) == {
        "raw_syscalls:sys_enter": 62104,
        "syscalls:sys_enter_read": 31050,
    }


def test_perf_samples_give_the_cpu_time_and_the_kernel_share() -> None:
    report = (
        "# Total Lost Samples: 0\n"
        "#\n"
        "# Samples: 5K of event 'cpu-clock'\n"
        "# Event count (approx.): 1488250000\n"
        "#\n"
        "# Overhead  Shared Object\n"
        "# ........  .............\n"
        "#\n"
        "    68.65%  [kernel.kallsyms]\n"
        "     7.86%  libpython3.11.so.1.0\n"
    )
    assert parse_perf_dso_report(report) == (1488250000, pytest.approx(0.6865))
    assert parse_perf_dso_report("") == (0, 0.0)


def test_report_ratios_use_the_best_peer_and_never_the_baseline() -> None:
    kinds = {"fastcore": "fastcore", "a": "peer", "b": "peer", "floor": "baseline"}
    results = [
        _run("fastcore", "plaintext", 90_000, 4.5),
        _run("a", "plaintext", 30_000, 5.0),
        _run("b", "plaintext", 45_000, 5.0),
        _run("floor", "plaintext", 120_000, 5.0),
    ]
    assert best_peer(results, kinds, "plaintext", lambda run: run.requests_per_second) == (
        "b",
        45_000,
    )
    markdown = render_markdown(
        results=results,
        problems={"a": {"round 1 plaintext: socket errors {'read': 3}"}},
        settings={
            "server_core": 0,
            "wrk_core": 1,
            "connections": 64,
            "duration": 5.0,
            "rounds": 1,
            "warmup": 1.0,
        },
        machine={"cpu": "cpu", "os": "os", "python": "3.11", "wrk": "wrk", "versions": ""},
        command="python bench/load/run.py",
        workloads=["plaintext"],
        kinds=kinds,
        descriptions=dict.fromkeys(kinds, "d"),
        chart_name=None,
    )
    assert "| fastcore | fastcore | 90,000 (2.00×) |" in markdown
    assert "| b | peer | **45,000 (1.00×)** |" in markdown
    assert "| floor | baseline | 120,000 (2.67×) |" in markdown
    # Per CPU-second: 450,000 requests in 4.5 s against 225,000 in 5 s.
    assert "| fastcore | fastcore | 100,000 (2.22×) |" in markdown
    assert "| Requests per second | plaintext | 90,000 | b 45,000 | 2.00× | ≥ 2× | 0.75× |" in (
        markdown
    )
    assert "**a**: round 1 plaintext: socket errors {'read': 3}" in markdown
    # CPU per request, split: 4.5 s over 450,000 requests, a quarter in the kernel.
    assert "| 90% | 7.50 + 2.50 |" in markdown


def test_the_harness_module_runs_as_a_script() -> None:
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("run.py")), "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert completed.returncode == 0
    assert "--servers" in completed.stdout
