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
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import time

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


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def measure(subject: str, connections: int, messages: int, pin: bool = False) -> float:
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
        before = cpu_seconds(process.pid)
        count = uvloop.run(drive(port, connections, messages))
        used = cpu_seconds(process.pid) - before
        return count / used if used > 0 else float("inf")
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--subject", action="append", choices=sorted(SERVERS))
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, client on CPU 1")
    args = parser.parse_args()
    subjects = []
    for subject in args.subject or list(SERVERS):
        module = OPTIONAL.get(subject)
        if module is not None and importlib.util.find_spec(module) is None:
            print(f"  (skipped {subject}: `pip install {module}` to compare with it)")
            continue
        subjects.append(subject)
    results: dict[str, list[float]] = {subject: [] for subject in subjects}
    for _ in range(args.repeat):
        for subject in subjects:  # interleaved, so drift hits every subject alike
            results[subject].append(measure(subject, args.connections, args.messages, args.pin))
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


if __name__ == "__main__":
    main()
