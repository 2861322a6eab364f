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

Run (about 10 s per server and workload)::

    python bench/load/syscalls_per_request.py --servers fastcore,socketify
    python bench/load/syscalls_per_request.py --servers fastcore,socketify,granian-rsgi \\
        --workloads plaintext,pipelined-16 --duration 3
"""

from __future__ import annotations

import argparse
import shutil
import signal
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


def count_syscalls(
    server: str, workload_name: str, duration: float, connections: int
) -> tuple[RunResult, dict[str, int], int]:
    """Run one counted wrk run; return its result, calls by name and context switches."""
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
            counter = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
            try:
                time.sleep(0.5)  # attached before the run starts
                result = RunResult(server, workload.name, 0)
                run_wrk(port, workload, duration, connections, 1, result)
            finally:
                counter.send_signal(signal.SIGINT)
                counter.wait(30)
            if result.error:
                raise RuntimeError(f"{server} {workload.name}: {result.error}")
            counts = parse_perf_csv(output.read_text())
            calls = {name: counts.get(f"syscalls:sys_enter_{name}", 0) for name in CALLS}
            calls["other"] = counts.get(_ALL, 0) - sum(calls.values())
            calls = {name: count for name, count in calls.items() if count}
            return result, calls, counts.get(_SWITCHES, 0)
        finally:
            stop_server(proc)


def main() -> int:
    """Count and print the calls per request for every server and workload asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="fastcore,socketify")
    parser.add_argument("--workloads", default=",".join(workload.name for workload in WORKLOADS))
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of the counted run")
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("perf") is None or shutil.which("wrk") is None:
        print("needs perf and wrk: apt-get install -y linux-perf wrk", file=sys.stderr)
        return 2
    print(
        f"system calls per request (perf stat tracepoints, wrk -c{args.connections}, "
        f"{args.duration:g} s)"
    )
    for workload in args.workloads.split(","):
        for server in args.servers.split(","):
            result, calls, switches = count_syscalls(
                server, workload, args.duration, args.connections
            )
            requests = result.requests
            total = sum(calls.values())
            top = sorted(calls.items(), key=lambda item: -item[1])[:6]
            detail = ", ".join(f"{name} {count / requests:.3f}" for name, count in top)
            print(
                f"  {workload:13} {server:16} {requests:>9,} requests  "
                f"{total / requests:6.3f} calls/request  ({detail}); "
                f"{switches / requests:.3f} context switches/request",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
