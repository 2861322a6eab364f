"""Load-test fastcore's server against peer Python servers with wrk.

Each server runs alone, pinned to one core with one worker; wrk runs pinned to
the other core. Rounds are interleaved (the server order rotates every round)
and every figure reported is the median over rounds. Beside raw requests per
second, the harness reports requests per second of *server CPU time*, because
a single wrk thread saturates before the fastest servers do.

Usage::

    python bench/load/run.py                       # every server, 3 rounds of 5 s
    python bench/load/run.py --quick               # smoke run: 1 round of 2 s
    python bench/load/run.py --servers fastcore,uvicorn-raw,starlette \\
        --rounds 3 --duration 5 --connections 64

Writes ``bench/load/results/<timestamp>.md`` (also printed), ``.json`` (every
run) and ``.png`` (bar chart).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httptools
import psutil

LOAD_DIR = Path(__file__).resolve().parent
REPO_ROOT = LOAD_DIR.parent.parent
sys.path[:0] = [str(LOAD_DIR), str(REPO_ROOT)]

from report import render_chart, render_markdown  # noqa: E402
from servers import APPS_DIR, SERVERS, ServerSpec  # noqa: E402

HOST = "127.0.0.1"
PIPELINE_SCRIPT = LOAD_DIR / "pipeline.lua"
PIPELINE_DEPTH = 16


@dataclass(frozen=True)
class Workload:
    """One wrk configuration: a path, and whether requests are pipelined."""

    name: str
    path: str
    pipelined: bool
    content_type: str
    body: bytes


WORKLOADS = (
    Workload("plaintext", "/plaintext", False, "text/plain", b"Hello, World!"),
    Workload("json", "/json", False, "application/json", b'{"message":"Hello, World!"}'),
    Workload(
        f"pipelined-{PIPELINE_DEPTH}",
        "/plaintext",
        True,
        "text/plain",
        b"Hello, World!",
    ),
)


@dataclass
class RunResult:
    """What one wrk run against one server measured."""

    server: str
    workload: str
    round: int
    requests: int = 0
    seconds: float = 0.0
    requests_per_second: float = 0.0
    server_cpu_seconds: float = 0.0
    #: The kernel's part of server_cpu_seconds (system time: sockets, epoll).
    server_system_seconds: float = 0.0
    wrk_cpu_seconds: float = 0.0
    other_load_on_server_core: float = 0.0
    server_core_idle: float = 0.0
    quiet_wait_seconds: float = 0.0
    #: The other processes that used the most CPU during the run (any core).
    top_others: list[str] = field(default_factory=list)
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def requests_per_cpu_second(self) -> float:
        """Requests answered per second of server CPU time."""
        if self.server_cpu_seconds <= 0:
            return 0.0
        return self.requests / self.server_cpu_seconds


class ServerFailed(Exception):
    """A server did not start, answer or validate; the message says why."""


# --- processes ----------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    spec: ServerSpec,
    port: int,
    core: int,
    log_path: Path,
    extra_args: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """Start ``spec`` pinned to ``core``, in its own process group."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(APPS_DIR), str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["PYTHONUNBUFFERED"] = "1"
    argv = ["taskset", "-c", str(core), *spec.command(HOST, port), *extra_args]
    with log_path.open("ab") as log:
        log.write(f"\n$ {shlex.join(argv)}\n".encode())
        log.flush()
        # NOTE: a new session makes the server's pid its process group id, so
        # stop_server() can reach the workers some servers fork (Granian).
        return subprocess.Popen(
            argv,
            cwd=APPS_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_server(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop the server we started: SIGTERM its group, SIGKILL what remains."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, signum)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    # A child that left the group (none known) goes too. psutil's Process
    # remembers its start time, so a recycled pid is never signalled.
    for child in children:
        try:
            if child.is_running():
                child.kill()
        except psutil.NoSuchProcess:
            pass


def tree_cpu_seconds(pid: int) -> tuple[float, float]:
    """Return (user, system) CPU seconds of ``pid`` and all its live children."""
    user = system = 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        user += times.user + times.children_user
        system += times.system + times.children_system
    return user, system


def cpu_by_process(exclude: set[int]) -> dict[tuple[int, float], tuple[str, float]]:
    """Return CPU seconds per live process, keyed by (pid, start time)."""
    usage = {}
    for proc in psutil.process_iter(["name", "cmdline", "cpu_times", "create_time"]):
        info = proc.info
        if proc.pid in exclude or info["cpu_times"] is None:
            continue
        name = info["name"] or "?"
        # A short label: the interpreter and its script or module, else the name.
        args = [arg for arg in (info["cmdline"] or [])[1:] if not arg.startswith("-")]
        label = f"{name} {Path(args[0]).name}" if args else name
        times = info["cpu_times"]
        usage[(proc.pid, info["create_time"])] = (label, times.user + times.system)
    return usage


def top_cpu_users(
    before: dict[tuple[int, float], tuple[str, float]],
    after: dict[tuple[int, float], tuple[str, float]],
    count: int = 3,
) -> list[str]:
    """Name the ``count`` processes that gained the most CPU time in between."""
    gains = []
    for key, (label, seconds) in after.items():
        gained = seconds - before.get(key, (label, 0.0))[1]
        if gained >= 0.05:
            gains.append((gained, label))
    gains.sort(reverse=True)
    return [f"{label} {gained:.1f}s" for gained, label in gains[:count]]


def core_busy_seconds(core: int) -> tuple[float, float]:
    """Return (busy, total) CPU seconds the kernel has counted for ``core``."""
    times = psutil.cpu_times(percpu=True)[core]
    idle = times.idle + times.iowait
    # guest time is already counted in user time.
    total = sum(times) - times.guest - times.guest_nice
    return total - idle, total


def wait_for_quiet_core(core: int, limit: float, threshold: float = 0.15) -> float:
    """Wait (at most ``limit`` s) until ``core`` is mostly idle; return the wait.

    Called while the server is idle, so whatever keeps the core busy is someone
    else's work (a build, a test suite) that would otherwise share it with the
    server during the run.
    """
    started = time.monotonic()
    while True:
        busy_before, total_before = core_busy_seconds(core)
        time.sleep(0.25)
        busy_after, total_after = core_busy_seconds(core)
        waited = time.monotonic() - started
        if total_after <= total_before:
            return waited
        if (busy_after - busy_before) / (total_after - total_before) < threshold:
            return waited
        if waited >= limit:
            return waited


def http_get(port: int, path: str, timeout: float = 1.0) -> tuple[int, dict[str, list[str]], bytes]:
    """GET ``path``; return the status, headers (lower-cased names) and body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        headers: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            headers.setdefault(name.lower(), []).append(value)
        return response.status, headers, response.read()
    finally:
        conn.close()


def wait_until_ready(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    """Poll until the server answers ``/plaintext``; raise ServerFailed if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerFailed(f"exited with status {proc.returncode} before answering")
        try:
            http_get(port, "/plaintext", timeout=0.5)
            return
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    raise ServerFailed(f"did not answer within {timeout:.0f} s")


def validate(port: int) -> list[str]:
    """Check the TechEmpower response rules on each endpoint; list violations."""
    problems = []
    for workload in WORKLOADS:
        if workload.pipelined:
            continue
        status, headers, body = http_get(port, workload.path)
        where = workload.path
        if status != 200:
            problems.append(f"{where}: status {status}")
        if body != workload.body:
            problems.append(f"{where}: body {body[:60]!r}")
        content_type = headers.get("content-type", [""])
        if not content_type[0].startswith(workload.content_type):
            problems.append(f"{where}: Content-Type {content_type}")
        for name in ("server", "date", "content-type"):
            count = len(headers.get(name, []))
            if count != 1:
                problems.append(f"{where}: {count} {name.title()} headers")
    problems.extend(check_pipelining(port))
    return problems


class _BodyCollector:
    """httptools callbacks that keep each response's status and body."""

    def __init__(self) -> None:
        self.responses: list[tuple[int, bytes]] = []
        self.parser = httptools.HttpResponseParser(self)
        self._body = b""

    def on_message_begin(self) -> None:
        self._body = b""

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self.responses.append((self.parser.get_status_code(), self._body))


def check_pipelining(port: int, depth: int = PIPELINE_DEPTH, timeout: float = 3.0) -> list[str]:
    """Send ``depth`` pipelined requests in one write; check every answer in order.

    The pipelined column means something only if the server answers every
    request of a batch, in order; alternating paths catches reordering.
    """
    plain = next(workload for workload in WORKLOADS if workload.path == "/plaintext")
    as_json = next(workload for workload in WORKLOADS if workload.path == "/json")
    expected = [(plain if index % 2 == 0 else as_json) for index in range(depth)]
    batch = b"".join(
        f"GET {workload.path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
        for workload in expected
    )
    collector = _BodyCollector()
    deadline = time.monotonic() + timeout
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(batch)
        while len(collector.responses) < depth and time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            try:
                collector.parser.feed_data(data)
            except httptools.HttpParserError as exc:
                return [f"pipelining: unparsable response ({exc})"]
    got = collector.responses
    if len(got) < depth:
        return [f"pipelining: {len(got)} of {depth} pipelined requests answered"]
    wrong = [
        index
        for index, (workload, (status, body)) in enumerate(zip(expected, got, strict=True))
        if status != 200 or body != workload.body
    ]
    if wrong:
        return [f"pipelining: answers {wrong} wrong or out of order"]
    return []


# --- wrk ----------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _to_ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def parse_wrk(output: str, result: RunResult) -> None:
    """Fill ``result`` from wrk's text report."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", output)
    if done is None:
        raise ValueError("no 'requests in' line in wrk output")
    result.requests = int(done.group(1))
    result.seconds = _to_ms(done.group(2), done.group(3)) / 1e3
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result.requests_per_second = float(rate.group(1)) if rate else 0.0
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        counts = dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
        result.socket_errors = {kind: count for kind, count in counts.items() if count}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result.non_2xx = int(non_2xx.group(1)) if non_2xx else 0
    for percent, attribute in (("50", "latency_p50_ms"), ("99", "latency_p99_ms")):
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        if found:
            setattr(result, attribute, _to_ms(found.group(1), found.group(2)))


def run_wrk(
    port: int,
    workload: Workload,
    duration: float,
    connections: int,
    core: int,
    result: RunResult,
) -> None:
    """Run one bounded wrk against ``workload``; fill ``result`` (and its CPU)."""
    argv = [
        "taskset",
        "-c",
        str(core),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "2s",
    ]
    if workload.pipelined:
        argv += ["-s", str(PIPELINE_SCRIPT)]
    else:
        # NOTE: wrk's latency histogram is per batch when pipelining, hence
        # meaningless there; only the plain runs record it.
        argv.append("--latency")
    argv.append(f"http://{HOST}:{port}{workload.path}")
    if workload.pipelined:
        argv += ["--", str(PIPELINE_DEPTH)]
    children_before = os.times()
    try:
        completed = subprocess.run(
            argv, capture_output=True, text=True, timeout=duration + 15, check=False
        )
    except subprocess.TimeoutExpired:
        result.error = "wrk did not finish in time (killed)"
        return
    children_after = os.times()
    # wrk is the only child reaped between the two snapshots.
    result.wrk_cpu_seconds = (children_after.children_user - children_before.children_user) + (
        children_after.children_system - children_before.children_system
    )
    if completed.returncode != 0:
        result.error = f"wrk exited {completed.returncode}: {completed.stderr.strip()[:200]}"
        return
    try:
        parse_wrk(completed.stdout, result)
    except ValueError as exc:
        result.error = f"{exc}: {completed.stdout[:200]!r}"


# --- the benchmark ------------------------------------------------------------


@dataclass
class Settings:
    """Everything that shapes a benchmark run."""

    servers: list[str]
    rounds: int
    duration: float
    connections: int
    warmup: float
    server_core: int
    wrk_core: int
    startup_timeout: float
    time_limit: float
    quiet_wait: float


def bench_server(
    spec: ServerSpec,
    round_index: int,
    settings: Settings,
    log_path: Path,
    problems: dict[str, set[str]],
) -> list[RunResult]:
    """Start one server, run every workload against it, stop it."""
    port = free_port()
    proc = start_server(spec, port, settings.server_core, log_path)
    results = []
    try:
        wait_until_ready(proc, port, settings.startup_timeout)
        problems[spec.name].update(validate(port))
        if settings.warmup > 0:
            warm = RunResult(spec.name, "warmup", round_index)
            run_wrk(
                port, WORKLOADS[0], settings.warmup, settings.connections, settings.wrk_core, warm
            )
        for workload in WORKLOADS:
            result = RunResult(spec.name, workload.name, round_index)
            result.quiet_wait_seconds = wait_for_quiet_core(
                settings.server_core, settings.quiet_wait
            )
            ours = {
                os.getpid(),
                proc.pid,
                *(child.pid for child in psutil.Process(proc.pid).children(True)),
            }
            others_before = cpu_by_process(ours)
            user_before, system_before = tree_cpu_seconds(proc.pid)
            busy_before, total_before = core_busy_seconds(settings.server_core)
            run_wrk(
                port, workload, settings.duration, settings.connections, settings.wrk_core, result
            )
            user_after, system_after = tree_cpu_seconds(proc.pid)
            result.server_system_seconds = system_after - system_before
            result.server_cpu_seconds = user_after - user_before + result.server_system_seconds
            busy_after, total_after = core_busy_seconds(settings.server_core)
            result.top_others = top_cpu_users(others_before, cpu_by_process(ours))
            # NOTE: the other engineers' builds and tests share this machine;
            # whatever else ran on the server's core is recorded, not hidden.
            if total_after > total_before and result.seconds > 0:
                busy = (busy_after - busy_before) / (total_after - total_before)
                own = result.server_cpu_seconds / result.seconds
                result.other_load_on_server_core = max(0.0, busy - own)
                result.server_core_idle = max(0.0, 1.0 - busy)
            if proc.poll() is not None:
                result.error = f"server exited with status {proc.returncode} during the run"
            results.append(result)
            if result.error:
                problems[spec.name].add(f"round {round_index + 1} {workload.name}: {result.error}")
            if result.non_2xx:
                problems[spec.name].add(
                    f"round {round_index + 1} {workload.name}: {result.non_2xx} non-2xx responses"
                )
            if result.socket_errors:
                problems[spec.name].add(
                    f"round {round_index + 1} {workload.name}: socket errors {result.socket_errors}"
                )
            if proc.poll() is not None:
                break
    except (ServerFailed, OSError, http.client.HTTPException) as exc:
        problems[spec.name].add(f"round {round_index + 1}: {exc} (log: {log_path})")
    finally:
        stop_server(proc)
    return results


def run_benchmark(
    settings: Settings, results_dir: Path, stamp: str
) -> tuple[list[RunResult], dict[str, set[str]]]:
    """Run the interleaved rounds; return every run and the problems seen."""
    specs = [SERVERS[name] for name in settings.servers]
    problems: dict[str, set[str]] = {spec.name: set() for spec in specs}
    results: list[RunResult] = []
    per_server = len(WORKLOADS) * (settings.duration + 0.5) + settings.warmup + 2
    # Waits for a quiet core come on top, up to quiet_wait per workload.
    worst_per_server = per_server + len(WORKLOADS) * settings.quiet_wait
    print(
        f"{len(specs)} servers x {settings.rounds} rounds: "
        f"{per_server * len(specs) * settings.rounds / 60:.1f} to "
        f"{worst_per_server * len(specs) * settings.rounds / 60:.1f} min "
        f"(hard limit {settings.time_limit / 60:.0f} min)",
        flush=True,
    )
    started = time.monotonic()
    for round_index in range(settings.rounds):
        # Rotate the order so no server always runs first or last (thermal
        # state, page cache and the other engineers' load drift over time).
        shift = round_index % len(specs)
        for spec in specs[shift:] + specs[:shift]:
            elapsed = time.monotonic() - started
            if elapsed + worst_per_server + settings.startup_timeout > settings.time_limit:
                problems[spec.name].add(f"round {round_index + 1}: skipped, time limit reached")
                continue
            log_path = results_dir / f"{stamp}-{spec.name}.log"
            runs = bench_server(spec, round_index, settings, log_path, problems)
            results.extend(runs)
            summary = ", ".join(
                f"{run.workload} {run.requests_per_second:,.0f}/s" for run in runs if not run.error
            )
            print(f"  round {round_index + 1} {spec.name:16} {summary or 'FAILED'}", flush=True)
    return results, problems


def machine_description() -> dict[str, str]:
    """Describe the machine and the software versions for the report."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk_version = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    ).stdout.split(" [", 1)[0]
    versions = []
    for dist in (
        "uvicorn",
        "starlette",
        "blacksheep",
        "sanic",
        "granian",
        "socketify",
        "uvloop",
        "httptools",
    ):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "wrk": wrk_version.strip(),
        "versions": ", ".join(versions),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated, from: {', '.join(SERVERS)} (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per start")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 round of 2 s, quiet wait 2 s at most"
    )
    parser.add_argument("--server-core", type=int, default=0, help="CPU the server runs on")
    parser.add_argument("--wrk-core", type=int, default=1, help="CPU wrk runs on")
    parser.add_argument(
        "--startup-timeout", type=float, default=20.0, help="seconds to wait for an answer"
    )
    parser.add_argument(
        "--time-limit", type=float, default=30.0, help="minutes; later runs are skipped"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=5.0,
        help="before each run, wait up to this many seconds for other work to leave "
        "the server's core",
    )
    parser.add_argument("--results-dir", type=Path, default=LOAD_DIR / "results")
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG")
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="RESULTS.json",
        help="run nothing: rewrite the .md and .png of an earlier run from its .json",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 2.0, 0.5
        args.quiet_wait = min(args.quiet_wait, 2.0)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the harness from the command line; return the exit status."""
    args = parse_args(argv)
    if args.from_json is not None:
        record = json.loads(args.from_json.read_text())
        write_report(record, args.from_json.with_suffix(""), chart=not args.no_chart)
        return 0
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    names = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown:
        print(f"unknown servers {unknown}; known: {', '.join(SERVERS)}", file=sys.stderr)
        return 2
    available = []
    for name in names:
        missing = SERVERS[name].missing_modules()
        if missing:
            print(f"skipping {name}: cannot import {', '.join(missing)}", file=sys.stderr)
        else:
            available.append(name)
    if not available:
        print("no server to benchmark", file=sys.stderr)
        return 2
    settings = Settings(
        servers=available,
        rounds=args.rounds,
        duration=args.duration,
        connections=args.connections,
        warmup=args.warmup,
        server_core=args.server_core,
        wrk_core=args.wrk_core,
        startup_timeout=args.startup_timeout,
        time_limit=args.time_limit * 60,
        quiet_wait=args.quiet_wait,
    )
    results_dir: Path = args.results_dir
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results, problems = run_benchmark(settings, results_dir, stamp)
    for name in names:
        if name not in available:
            problems[name] = {"not run: " + ", ".join(SERVERS[name].missing_modules()) + " missing"}
    command = "python bench/load/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    record = {
        "command": command.strip(),
        "settings": asdict(settings),
        "machine": machine_description(),
        "problems": {name: sorted(found) for name, found in problems.items()},
        "runs": [
            {**asdict(run), "requests_per_cpu_second": run.requests_per_cpu_second}
            for run in results
        ],
    }
    (results_dir / f"{stamp}.json").write_text(json.dumps(record, indent=2))
    write_report(record, results_dir / stamp, chart=not args.no_chart)
    return 0


def write_report(record: dict[str, Any], base: Path, chart: bool) -> None:
    """Write ``base``.md (and .png) from a run record; print the Markdown."""
    runs = [
        RunResult(**{key: value for key, value in run.items() if key in _RUN_FIELDS})
        for run in record["runs"]
    ]
    servers = [name for name in record["settings"]["servers"] if name in SERVERS]
    kinds = {name: SERVERS[name].kind for name in servers}
    workloads = [workload.name for workload in WORKLOADS]
    chart_path = base.with_suffix(".png") if chart else None
    markdown = render_markdown(
        results=runs,
        problems={name: set(found) for name, found in record["problems"].items()},
        settings=record["settings"],
        machine=record["machine"],
        command=record["command"],
        workloads=workloads,
        kinds=kinds,
        descriptions={name: SERVERS[name].description for name in servers},
        chart_name=chart_path.name if chart_path else None,
    )
    base.with_suffix(".md").write_text(markdown)
    if chart_path is not None:
        render_chart(runs, workloads, kinds, chart_path)
    print()
    print(markdown)
    print(f"written: {base.with_suffix('.md')}")


_RUN_FIELDS = {item.name for item in fields(RunResult)}


if __name__ == "__main__":
    sys.exit(main())
