"""WebSocket echo: messages per server CPU-second, fastcore vs its peers, in the same run.

Each subject serves an echo endpoint in its own process; one client process
(the websockets library on uvloop) opens ``--connections`` sockets, and each
sends ``--messages`` small text messages one after the other, waiting for each
echo. The figure is messages echoed per CPU-second of the *server* process
(user + system time from /proc), so the client's own cost does not count and
a busy machine (2 shared cores) skews it less than wall-clock rates.

Subjects:

- ``fastcore``: ``@app.websocket`` on the bundled server (compiled frames);
- ``uvicorn``: a raw ASGI echo app under uvicorn (``ws="websockets"``, uvloop, httptools);
- ``websockets``: the websockets library's own asyncio server on uvloop;
- ``aiohttp``: aiohttp's ``WebSocketResponse`` on uvloop;
- ``socketify``: socketify.py (uWebSockets in C++), when it is installed
  (skipped with a note otherwise).

Compression is off on every side (the client offers none).

Run (about a minute)::

    python bench/load/websocket_echo.py --repeat 3 --pin

``--breakdown`` adds where each subject's CPU goes, per echoed message: user
and system microseconds (/proc utime and stime), the scheduler's exact
on-CPU time (/proc schedstat), context switches, and, when perf is there
(tracepoints: no hardware counters needed), the server's syscalls by kind,
counted in extra runs of their own::

    python bench/load/websocket_echo.py --repeat 3 --pin --breakdown
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.util
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

SERVERS = {
    "fastcore": """
import asyncio, sys, uvloop
from fastcore import App
from fastcore.realtime import WebSocket
from fastcore.server import Server

app = App(security=False)

@app.websocket("/echo")
async def echo(ws: WebSocket) -> None:
    await ws.accept()
    async for message in ws:
        await ws.send_text(message)

async def main() -> None:
    server = Server(app, "127.0.0.1", int(sys.argv[1]))
    await server.start()
    await server.serve_forever()

uvloop.run(main())
""",
    "uvicorn": """
import sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        await send({"type": "websocket.send", "text": message.get("text")})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), ws="websockets", loop="uvloop",
            http="httptools", log_level="error", lifespan="off")
""",
    "websockets": """
import asyncio, sys, uvloop
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main():
    async with serve(echo, "127.0.0.1", int(sys.argv[1]), compression=None) as server:
        await server.serve_forever()

uvloop.run(main())
""",
    "aiohttp": """
import asyncio, sys, uvloop
from aiohttp import WSMsgType, web

async def echo(request):
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)
    async for message in ws:
        if message.type == WSMsgType.TEXT:
            await ws.send_str(message.data)
    return ws

app = web.Application()
app.router.add_get("/echo", echo)
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
""",
    "socketify": """
import sys
from socketify import App, AppListenOptions, CompressOptions

app = App()
app.ws("/echo", {
    "compression": CompressOptions.DISABLED,
    "message": lambda ws, message, opcode: ws.send(message, opcode),
})
app.listen(AppListenOptions(port=int(sys.argv[1]), host="127.0.0.1"), lambda config: None)
app.run()
""",
}

#: Subjects whose package may be missing: skipped with a note.
OPTIONAL = {"aiohttp": "aiohttp", "socketify": "socketify"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_split(pid: int) -> tuple[float, float]:
    """The process's user and system CPU seconds (all its threads; tick-sampled)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _per_thread(pid: int, name: str, value: Callable[[str], int]) -> int:
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/{name}") as text:
                total += value(text.read())
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return total


def run_nanoseconds(pid: int) -> int:
    """The scheduler's exact on-CPU time of the process's threads (user and kernel)."""
    return _per_thread(pid, "schedstat", lambda text: int(text.split()[0]))


def context_switches(pid: int) -> int:
    """Voluntary and involuntary context switches of the process's threads."""
    return _per_thread(
        pid,
        "status",
        lambda text: sum(
            int(line.split()[1]) for line in text.splitlines() if "ctxt_switches" in line
        ),
    )


#: The syscalls counted one by one (perf tracepoints); "all" counts every one.
SYSCALLS = (
    "epoll_wait",
    "epoll_pwait",
    "epoll_ctl",
    "read",
    "recvfrom",
    "write",
    "writev",
    "sendto",
    "sendmsg",
    "futex",
)


class SyscallCounter:
    """``perf stat`` attached to a process until stop(): its syscalls by kind."""

    def __init__(self, pid: int, output: str) -> None:
        events = [f"syscalls:sys_enter_{name}" for name in SYSCALLS]
        self.output = output
        self.process = subprocess.Popen(
            ["perf", "stat", "-x", ",", "-o", output, "-p", str(pid), "-e"]
            + [",".join([*events, "raw_syscalls:sys_enter"])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # perf attaches

    def stop(self) -> dict[str, int]:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(10)
        counts: dict[str, int] = {}
        with open(self.output) as text:
            for line in text:
                parts = line.strip().split(",")
                if len(parts) > 2 and parts[0].isdigit():
                    name = re.sub(r"^(raw_)?syscalls:sys_enter_?", "", parts[2]) or "all"
                    counts[name] = int(parts[0])
        return counts


@dataclasses.dataclass
class Sample:
    """One measured run of one subject: its server's costs over the run."""

    messages: int
    user: float  # CPU seconds
    system: float
    run_ns: int
    switches: int
    syscalls: dict[str, int]

    @property
    def rate(self) -> float:
        """Messages per server CPU-second (utime + stime)."""
        used = self.user + self.system
        return self.messages / used if used > 0 else float("inf")


async def drive(port: int, connections: int, messages: int) -> int:
    from websockets.asyncio.client import connect

    async def one() -> int:
        async with connect(f"ws://127.0.0.1:{port}/echo", compression=None) as ws:
            for index in range(messages):
                await ws.send(f"message {index}")
                await ws.recv()
        return messages

    return sum(await asyncio.gather(*(one() for _ in range(connections))))


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at startup")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def measure(
    subject: str, connections: int, messages: int, pin: bool = False, syscalls: bool = False
) -> Sample:
    import uvloop

    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVERS[subject], str(port)])
    if pin:
        # The server on core 0, this client on core 1: neither steals the other's core.
        os.sched_setaffinity(process.pid, {0})
        os.sched_setaffinity(0, {1})
    try:
        wait_listening(port, process)
        uvloop.run(drive(port, 4, 10))  # warm-up
        with tempfile.TemporaryDirectory() as tmp:
            counter = SyscallCounter(process.pid, f"{tmp}/perf.csv") if syscalls else None
            user, system = cpu_split(process.pid)
            run_ns = run_nanoseconds(process.pid)
            switches = context_switches(process.pid)
            count = uvloop.run(drive(port, connections, messages))
            user_after, system_after = cpu_split(process.pid)
            return Sample(
                messages=count,
                user=user_after - user,
                system=system_after - system,
                run_ns=run_nanoseconds(process.pid) - run_ns,
                switches=context_switches(process.pid) - switches,
                syscalls=counter.stop() if counter is not None else {},
            )
    finally:
        process.terminate()
        process.wait(10)


def print_breakdown(samples: dict[str, list[Sample]]) -> None:
    """Per echoed message, medians over the runs: where each server's CPU goes."""

    def median(runs: list[Sample], value: Callable[[Sample], float]) -> float:
        return statistics.median(value(run) / run.messages for run in runs)

    timed = {subject: [r for r in runs if not r.syscalls] for subject, runs in samples.items()}
    print("  per echoed message:  user us  system us  on-CPU us (schedstat)  context switches")
    for subject, runs in timed.items():
        print(
            f"  {subject:<11} {median(runs, lambda r: r.user) * 1e6:>13.2f}"
            f" {median(runs, lambda r: r.system) * 1e6:>10.2f}"
            f" {median(runs, lambda r: r.run_ns) / 1e3:>22.2f}"
            f" {median(runs, lambda r: r.switches):>17.3f}"
        )
    counted = {subject: [run for run in runs if run.syscalls] for subject, runs in samples.items()}
    if not any(counted.values()):
        return
    names = [
        name
        for name in ("all", *SYSCALLS)
        if any(run.syscalls.get(name) for runs in counted.values() for run in runs)
    ]
    print("  syscalls per echoed message (perf runs): " + "  ".join(names))
    for subject, runs in counted.items():
        figures = [median(runs, lambda r, n=name: r.syscalls.get(n, 0)) for name in names]
        print(f"  {subject:<11} " + "  ".join(f"{figure:.3f}" for figure in figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--subject", action="append", choices=sorted(SERVERS))
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, client on CPU 1")
    parser.add_argument(
        "--breakdown", action="store_true", help="user/system time, switches, syscalls per message"
    )
    args = parser.parse_args()
    subjects = []
    for subject in args.subject or list(SERVERS):
        module = OPTIONAL.get(subject)
        if module is not None and importlib.util.find_spec(module) is None:
            print(f"  (skipped {subject}: `pip install {module}` to compare with it)")
            continue
        subjects.append(subject)
    count_syscalls = args.breakdown and shutil.which("perf") is not None
    samples: dict[str, list[Sample]] = {subject: [] for subject in subjects}
    for _ in range(args.repeat):
        for subject in subjects:  # interleaved, so drift hits every subject alike
            samples[subject].append(measure(subject, args.connections, args.messages, args.pin))
            if count_syscalls:
                # A run of its own: perf's tracepoints cost the server some CPU.
                samples[subject].append(
                    measure(subject, args.connections, args.messages, args.pin, syscalls=True)
                )
    results = {
        subject: [run.rate for run in runs if not run.syscalls] for subject, runs in samples.items()
    }
    print(
        f"echo, {args.connections} connections x {args.messages} messages, "
        f"median of {args.repeat}: messages per server CPU-second"
    )
    medians = {subject: statistics.median(values) for subject, values in results.items()}
    for subject, value in medians.items():
        runs = ", ".join(f"{v:,.0f}" for v in results[subject])
        print(f"  {subject:<11} {value:>10,.0f}   ({runs})")
    if "fastcore" in medians:
        for subject, value in medians.items():
            if subject != "fastcore":
                print(f"  fastcore/{subject} = {medians['fastcore'] / value:.2f}x")
        peers = {subject: value for subject, value in medians.items() if subject != "fastcore"}
        if peers:
            fastest = max(peers, key=peers.__getitem__)
            print(f"  fastest peer: {fastest} ({medians['fastcore'] / peers[fastest]:.2f}x)")
    if args.breakdown:
        print_breakdown(samples)


if __name__ == "__main__":
    main()
