"""Instructions per echoed WebSocket message (callgrind): fastcore vs its peers.

The servers of ``websocket_echo.py`` run under callgrind one after the other;
a client outside valgrind (the websockets library on uvloop) opens
``--connections`` sockets and, after a warm-up, sends ``--messages`` small
text messages on each, waiting for each echo. ``callgrind_control --dump``
cuts the count right before and right after that run, so start-up and
warm-up drop out. The figure is the server's user-space instructions per
message (the kernel's share, the same two syscalls per message for every
subject, is not counted): deterministic enough to compare on a busy machine
where CPU-second figures drift.

Run (about a minute per subject)::

    python bench/load/callgrind_websocket.py                       # fastcore and aiohttp
    python bench/load/callgrind_websocket.py --subject fastcore --subject uvicorn
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from websocket_echo import SERVERS, drive, free_port  # noqa: E402


def _listening(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at startup")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not start under valgrind")


def _dumped_instructions(path: Path) -> int:
    match = re.search(r"^(?:summary|totals): (\d+)", path.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no instruction count in {path}")
    return int(match.group(1))


def instructions_per_message(subject: str, connections: int, messages: int) -> float:
    """The server's instructions per echoed message, between two callgrind dumps."""
    import uvloop

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        port = free_port()
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        process = subprocess.Popen(
            [*command, sys.executable, "-c", SERVERS[subject], str(port)],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONHASHSEED="0"),
        )
        try:
            _listening(port, process, timeout=300)
            uvloop.run(drive(port, connections, 20))  # warm-up: every path taken once
            dump = ["callgrind_control", "--dump", str(process.pid)]
            subprocess.run(dump, cwd=tmp, capture_output=True, check=True)
            count = uvloop.run(drive(port, connections, messages))
            subprocess.run(dump, cwd=tmp, capture_output=True, check=True)
            # Dumps are numbered from 1: the second holds the measured run only.
            return _dumped_instructions(Path(f"{out}.2")) / count
        finally:
            process.terminate()
            process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", action="append", choices=sorted(SERVERS))
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--messages", type=int, default=250, help="per connection")
    args = parser.parse_args()
    subjects = args.subject or ["fastcore", "aiohttp"]
    print(
        f"instructions per echoed message (callgrind, {args.connections} connections x "
        f"{args.messages} messages, server user space)"
    )
    results = {}
    for subject in subjects:
        results[subject] = instructions_per_message(subject, args.connections, args.messages)
        print(f"  {subject:<11} {results[subject]:>9,.0f}", flush=True)
    if "fastcore" in results:
        for subject, value in results.items():
            if subject != "fastcore":
                print(f"  {subject}/fastcore = {value / results['fastcore']:.2f}x")


if __name__ == "__main__":
    main()
