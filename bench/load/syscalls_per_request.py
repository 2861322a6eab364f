"""System calls per request, counted by kernel tracepoints: fastcore against its peers.

The load harness's CPU figures split into user and system time; system time
is the kernel's work, and most of it is the calls a server makes per request
(read, write, epoll). This script counts them: it starts each server of the
harness pinned to one core, warms it up with wrk, then attaches
``perf stat`` to the server's processes for one bounded wrk run (pinned to
the other core), counting the ``raw_syscalls:sys_enter`` tracepoint (every
call) and one tracepoint per call that matters, and divides every count by
the requests wrk reports. Tracepoint counters cost next to nothing, so the
server runs at its own pace (``strace -c`` stops it on every call and
changes how many requests each epoll wake-up finds).

In the same run ``perf record -e cpu-clock`` samples the server (4,000 Hz),
which splits its CPU time per request into the kernel's share and user
space by where each sample landed: unlike utime/stime from /proc, which
charge whole clock ticks, a sample names the code that ran. The kernel's
share is the part a faster user space cannot remove.

Run (about 10 s per server, workload and round)::

    python bench/load/syscalls_per_request.py --servers fastcore,socketify
    python bench/load/syscalls_per_request.py --servers fastcore,socketify,uvloop-protocol \\
        --workloads plaintext,json --duration 3 --rounds 3

With several rounds the servers take turns (the order rotates every round)
and a last table gives the medians.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    WORKLOADS,
    RunResult,
    free_port,
    run_wrk,
    start_server,
    stop_server,
    wait_until_ready,
)
from servers import SERVERS  # noqa: E402

#: The calls counted one by one (every other call is in "other").
CALLS = (
    "read",
    "recvfrom",
    "write",
    "writev",
    "sendto",
    "sendmsg",
    "epoll_wait",
    "epoll_pwait",
    "epoll_ctl",
    "accept4",
    "futex",
)
_ALL = "raw_syscalls:sys_enter"
#: Times the server left the CPU (it blocked in epoll, or was preempted).
_SWITCHES = "context-switches"


def parse_perf_csv(text: str) -> dict[str, int]:
    """Return counts by event name from ``perf stat -x,`` output."""
    counts = {}
    for line in text.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[0].isdigit():
            counts[fields[2]] = int(fields[0])
    return counts


def parse_perf_dso_report(text: str) -> tuple[int, float]:
    """Return (sampled CPU nanoseconds, kernel share) from ``perf report --sort dso``."""
    total = re.search(r"^# Event count \(approx\.\): (\d+)", text, re.MULTILINE)
    kernel = re.search(r"^\s+([\d.]+)%\s+\[kernel", text, re.MULTILINE)
    return (
        int(total.group(1)) if total else 0,
        float(kernel.group(1)) / 100 if kernel else 0.0,
    )


def _sampled_cpu(data: Path) -> tuple[int, float]:
    report = subprocess.run(
        ["perf", "report", "-i", str(data), "--sort", "dso", "--stdio"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return parse_perf_dso_report(report.stdout)


def count_syscalls(
    server: str, workload_name: str, duration: float, connections: int
) -> tuple[RunResult, dict[str, int], int, tuple[int, float]]:
    """Run one counted wrk run against ``server``.

    Returns its result, calls by name, context switches and the sampled CPU
    (nanoseconds, kernel share).
    """
    spec = SERVERS[server]
    workload = next(item for item in WORKLOADS if item.name == workload_name)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(spec, port, 0, Path(tmp) / "server.log")
        try:
            wait_until_ready(proc, port, 30.0)
            warm = RunResult(server, "warmup", 0)
            run_wrk(port, WORKLOADS[0], 1.0, connections, 1, warm)
            pids = [proc.pid, *(child.pid for child in psutil.Process(proc.pid).children(True))]
            output = Path(tmp) / "perf.csv"
            events = [_ALL, _SWITCHES, *(f"syscalls:sys_enter_{name}" for name in CALLS)]
            argv = ["perf", "stat", "-x,", "-o", str(output), "-e", ",".join(events)]
            argv += ["-p", ",".join(map(str, pids))]
            samples = Path(tmp) / "perf.data"
            record = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "4000"]
            record += ["-o", str(samples), "-p", ",".join(map(str, pids))]
            counter = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
            sampler = subprocess.Popen(record, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(0.5)  # attached before the run starts
                result = RunResult(server, workload.name, 0)
                run_wrk(port, workload, duration, connections, 1, result)
            finally:
                for perf in (counter, sampler):
                    perf.send_signal(signal.SIGINT)
                for perf in (counter, sampler):
                    perf.wait(30)
            if result.error:
                raise RuntimeError(f"{server} {workload.name}: {result.error}")
            counts = parse_perf_csv(output.read_text())
            calls = {name: counts.get(f"syscalls:sys_enter_{name}", 0) for name in CALLS}
            calls["other"] = counts.get(_ALL, 0) - sum(calls.values())
            calls = {name: count for name, count in calls.items() if count}
            return result, calls, counts.get(_SWITCHES, 0), _sampled_cpu(samples)
        finally:
            stop_server(proc)


def main() -> int:
    """Count and print the calls per request for every server and workload asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="fastcore,socketify")
    parser.add_argument("--workloads", default=",".join(workload.name for workload in WORKLOADS))
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of the counted run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (medians)")
    args = parser.parse_args()
    if shutil.which("perf") is None or shutil.which("wrk") is None:
        print("needs perf and wrk: apt-get install -y linux-perf wrk", file=sys.stderr)
        return 2
    print(
        f"system calls per request (perf stat tracepoints, wrk -c{args.connections}, "
        f"{args.duration:g} s)"
    )
    servers = args.servers.split(",")
    # (workload, server): [(calls, CPU µs, kernel µs) per request, one per round]
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for round_index in range(args.rounds):
        shift = round_index % len(servers)
        for workload in args.workloads.split(","):
            for server in servers[shift:] + servers[:shift]:
                result, calls, switches, (cpu_ns, kernel) = count_syscalls(
                    server, workload, args.duration, args.connections
                )
                requests = result.requests
                total = sum(calls.values())
                top = sorted(calls.items(), key=lambda item: -item[1])[:6]
                detail = ", ".join(f"{name} {count / requests:.3f}" for name, count in top)
                cpu_us = cpu_ns / 1e3 / requests
                rows.setdefault((workload, server), []).append(
                    (total / requests, cpu_us, cpu_us * kernel)
                )
                print(
                    f"  {workload:13} {server:16} {requests:>9,} requests  "
                    f"{total / requests:6.3f} calls/request  ({detail}); "
                    f"{switches / requests:.3f} context switches/request; sampled CPU "
                    f"{cpu_us:.2f} µs/request, kernel {cpu_us * kernel:.2f} ({kernel:.0%})",
                    flush=True,
                )
    print("medians: calls, sampled CPU µs = user + kernel (per request)")
    for (workload, server), values in rows.items():
        calls_median = statistics.median(value[0] for value in values)
        cpu = statistics.median(value[1] for value in values)
        kernel_us = statistics.median(value[2] for value in values)
        print(
            f"  {workload:13} {server:16} {calls_median:6.3f} calls  "
            f"{cpu:6.2f} µs = {cpu - kernel_us:5.2f} + {kernel_us:5.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
