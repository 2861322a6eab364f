"""Measure a server's resident memory per idle WebSocket.

Start each server (the echo servers of websocket_echo.py), note its RSS, open
``--connections`` WebSockets (default 10,000; raw handshakes from one client
process, in batches), let them idle, read the RSS again and report
(after - before) / the sockets the server still has open. The client raises
``RLIMIT_NOFILE`` for itself and the servers (mind ``ulimit -n``: each side
needs one descriptor per connection).

Usage::

    python bench/load/idle_websockets.py
    python bench/load/idle_websockets.py --servers fastcore,websockets --connections 2000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import time
from pathlib import Path

LOAD_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(LOAD_DIR), str(LOAD_DIR.parent.parent)]

from idle_connections import BATCH, established_connections, raise_fd_limit, tree_rss  # noqa: E402
from websocket_echo import SERVERS, free_port, wait_listening  # noqa: E402

HEADER = (
    "| server | sockets | open at measure | RSS before MiB "
    "| RSS after MiB | KiB per socket | open s |"
)

#: The target of issue 17 for fastcore.
TARGET_KIB = 16


async def answer_pings(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the server's keepalive pings, as a live client would (else it is dropped)."""
    while True:
        head = await reader.readexactly(2)
        length = head[1] & 0x7F  # server frames: unmasked; pings carry at most 125 bytes
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await reader.readexactly(8), "big")
        payload = await reader.readexactly(length)
        if head[0] & 0x0F == 0x9:
            # A masked pong with the ping's payload (mask 0: XOR leaves it as is).
            writer.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)


async def open_socket(port: int) -> asyncio.StreamWriter:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    key = base64.b64encode(os.urandom(16))
    writer.write(
        b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {head[:40]!r}")
    task = asyncio.ensure_future(answer_pings(reader, writer))
    PONGERS.add(task)
    task.add_done_callback(PONGERS.discard)
    return writer


async def hold(
    port: int, count: int, pid: int, settle: float, batch: int
) -> tuple[int, int, float]:
    writers: list[asyncio.StreamWriter] = []
    started = time.monotonic()
    while len(writers) < count and time.monotonic() - started < 120:
        size = min(batch, count - len(writers))
        outcomes = await asyncio.gather(
            *(open_socket(port) for _ in range(size)), return_exceptions=True
        )
        writers += [item for item in outcomes if isinstance(item, asyncio.StreamWriter)]
        failed = [item for item in outcomes if not isinstance(item, asyncio.StreamWriter)]
        if failed:
            print(f"  ({len(failed)} handshakes failed, first: {failed[0]!r})", file=sys.stderr)
            break
    opened = time.monotonic() - started
    try:
        await asyncio.sleep(settle)
        return established_connections(pid, port_of[pid]), tree_rss(pid), opened
    finally:
        for writer in writers:
            writer.close()
        for task in list(PONGERS):
            task.cancel()


port_of: dict[int, int] = {}
PONGERS: set[asyncio.Future[None]] = set()


def measure(subject: str, count: int, settle: float, batch: int = BATCH) -> str:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVERS[subject], str(port)], stderr=subprocess.DEVNULL
    )
    port_of[process.pid] = port
    try:
        os.sched_setaffinity(process.pid, {0})
        wait_listening(port, process)
        time.sleep(0.5)
        before = tree_rss(process.pid)
        open_now, after, opened = asyncio.run(hold(port, count, process.pid, settle, batch))
        per = (after - before) / open_now / 1024 if open_now else float("nan")
        return (
            f"| {subject} | {count:,} | {open_now:,} | {before / 2**20:.1f} "
            f"| {after / 2**20:.1f} | {per:.2f} | {opened:.1f} |"
        )
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # a graceful close of 10,000 sockets can take long
            process.kill()
            process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="fastcore,websockets,uvicorn,aiohttp")
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument(
        "--batch", type=int, default=BATCH, help="handshakes at once (a busy machine: fewer)"
    )
    args = parser.parse_args()
    raise_fd_limit(args.connections + 1000)
    os.sched_setaffinity(0, {1})
    print(f"`{' '.join(sys.argv)}`\n")
    print(HEADER)
    print("|---|---:|---:|---:|---:|---:|---:|")
    for subject in args.servers.split(","):
        print(measure(subject, args.connections, args.settle, args.batch), flush=True)
    print(f"\nTarget (issue 17): fastcore <= {TARGET_KIB} KiB per idle WebSocket.")


if __name__ == "__main__":
    main()
