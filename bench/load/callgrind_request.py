"""Instructions per request, counted by valgrind's callgrind: fastcore vs the fixed-bytes baseline.

Wall-clock figures on a shared 2-core machine drift by tens of percent; an
instruction count does not. This script feeds a bounded number of requests to
a connection protocol in-process (a transport whose ``write`` drops the bytes)
and, run under callgrind twice with different counts, reports the difference
divided by the extra requests: the start-up cost cancels out.

Subjects (``--subject``):

- ``fastcore``: ``apps/fastcore_app.py`` (the App of the load harness) behind
  fastcore's compiled ``HttpProtocol``, as ``fastcore run`` serves it.
- ``fastcore-metrics``: the same with the per-request metrics of
  ``fastcore run --metrics-port`` recording (``ServerConfig.request_metrics``).
- ``fastcore-log-metrics``: metrics and ``--access-log`` (the default line,
  written by a logging handler to ``/dev/null``).
- ``uvloop-protocol``: ``apps/uvloop_protocol.py``, the uvloop + httptools
  protocol answering pre-built bytes.

Served subjects: the whole server process runs under callgrind on a real
socket, event loop included, and a client outside valgrind sends a counted
number of requests on ``--connections`` keep-alive connections;
``callgrind_control --dump`` cuts the count right before and after them, so
start-up and warm-up drop out. This is how a server that cannot be fed
in-process is measured, and the two below are measured alike:

- ``fastcore-server``: the ``fastcore`` entry of the load harness
  (``fastcore run fastcore_app:app``), uvloop's own instructions included.
- ``socketify``: the ``socketify`` entry (``apps/socketify_app.py``,
  uWebSockets in C++ calling the Python handlers through cffi).

The kernel's share (the read, write and epoll system calls) is counted by
neither mode; ``bench/load/syscalls_per_request.py`` counts those calls.

Endpoints (``--endpoint``): ``plaintext``, ``json``, ``pipelined`` (16
plaintext requests per read) and, for the fastcore subjects only,
``template`` (``apps/fastcore_template_app.py``: a 12-row table rendered from
a template, the template page of the metrics cost).

Run (about half a minute)::

    python bench/load/callgrind_request.py                   # every subject and endpoint
    python bench/load/callgrind_request.py --subject fastcore --endpoint plaintext
    python bench/load/callgrind_request.py --subject fastcore-server --subject socketify \
        --endpoint plaintext --endpoint json --endpoint pipelined

``--inner`` runs the driver itself (that is what valgrind is given).
"""

from __future__ import annotations

import argparse
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"

REQUESTS = {
    "plaintext": b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n"
    b"Accept: */*\r\n\r\n",
    "json": b"GET /json HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
    "template": b"GET /template HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n"
    b"Accept: */*\r\n\r\n",
}
ENDPOINTS = ("plaintext", "json", "pipelined", "template")
PIPELINE_DEPTH = 16


sys.path[:0] = [str(APPS), str(HERE)]
from _null_transport import NullTransport  # noqa: E402

#: Subjects served from their own process under callgrind (load-harness names).
SERVED = ("fastcore-server", "socketify")


def _fastcore_protocol(
    metrics: bool = False, endpoint: str = "plaintext", access_log: bool = False
) -> Any:
    import asyncio
    import logging

    import uvloop

    if endpoint == "template":
        from fastcore_template_app import app
    else:
        from fastcore_app import app

    from fastcore._speedups.protocol import HttpProtocol, ServerState
    from fastcore.server import ServerConfig

    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    if access_log:
        logger = logging.getLogger("fastcore.access")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(logging.StreamHandler(open(os.devnull, "w")))  # noqa: SIM115
    config = ServerConfig(request_metrics=metrics, access_log=access_log)
    state = ServerState(config, loop)
    protocol = HttpProtocol(app.build_dispatch(), state, app.request_class)
    protocol.connection_made(NullTransport())
    return protocol


def _baseline_protocol() -> Any:
    import uvloop_protocol

    protocol = uvloop_protocol.HttpProtocol()
    protocol.connection_made(NullTransport())  # type: ignore[arg-type]
    return protocol


def inner(subject: str, endpoint: str, count: int) -> None:
    """Feed ``count`` requests (pipelined: in reads of 16) to one connection."""
    if subject.startswith("fastcore"):
        protocol = _fastcore_protocol(
            metrics=subject != "fastcore",
            endpoint=endpoint,
            access_log=subject == "fastcore-log-metrics",
        )
    else:
        protocol = _baseline_protocol()
    if endpoint == "pipelined":
        data = REQUESTS["plaintext"] * PIPELINE_DEPTH
        reads = count // PIPELINE_DEPTH
    else:
        data = REQUESTS[endpoint]
        reads = count
    received = protocol.data_received
    for _ in range(reads):
        received(data)


def callgrind_instructions(script_args: list[str]) -> int:
    """Instructions executed by ``python <script_args>`` under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            *script_args,
        ]
        env = dict(os.environ, PYTHONHASHSEED="0")
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        match = re.search(r"Collected : (\d+)", result.stderr)
        if match is None:
            raise RuntimeError(f"no instruction count in callgrind's output:\n{result.stderr}")
        return int(match.group(1))


def _instructions(subject: str, endpoint: str, count: int) -> int:
    script = str(Path(__file__).resolve())
    return callgrind_instructions(
        [script, "--inner", "--subject", subject, "--endpoint", endpoint, "--count", str(count)]
    )


def _serve(subject: str, port: int, out: Path, cwd: str) -> subprocess.Popen[bytes]:
    from servers import SERVERS

    spec = SERVERS["fastcore" if subject == "fastcore-server" else subject]
    env = dict(os.environ, PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(APPS), str(HERE.parent.parent), *filter(None, [env.get("PYTHONPATH")])]
    )
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    return subprocess.Popen(
        [*command, *spec.command("127.0.0.1", port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def drive(port: int, endpoint: str, connections: int, requests: int) -> int:
    """Send ``requests`` per connection, one read's worth at a time; return answers.

    Each connection sends one request (pipelined: 16 in one write) and waits
    for every answer before the next, as wrk does; answers are counted by
    their status lines, which are checked to be ``200``.
    """
    depth = PIPELINE_DEPTH if endpoint == "pipelined" else 1
    data = REQUESTS["plaintext" if endpoint == "pipelined" else endpoint] * depth
    selector = selectors.DefaultSelector()
    owed: dict[socket.socket, list[int]] = {}  # sock: [batches left, answers owed]
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        sock.setblocking(False)
        sock.sendall(data)
        owed[sock] = [requests // depth - 1, depth]
        selector.register(sock, selectors.EVENT_READ, sock)
    answered = 0
    deadline = time.monotonic() + 600
    try:
        while owed:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{answered} answers in 600 s: the server stalled")
            for key, _ in selector.select(timeout=5):
                sock = key.data
                chunk = sock.recv(65536)
                if not chunk:
                    raise RuntimeError("the server closed a keep-alive connection")
                got = chunk.count(b"HTTP/1.1 ")
                if chunk.count(b"HTTP/1.1 200 ") != got:
                    raise RuntimeError(f"a non-200 answer: {chunk[:200]!r}")
                answered += got
                state = owed[sock]
                state[1] -= got
                if state[1] > 0:
                    continue
                if state[0] == 0:
                    selector.unregister(sock)
                    sock.close()
                    del owed[sock]
                    continue
                state[0] -= 1
                state[1] = depth
                sock.setblocking(True)
                sock.sendall(data)
                sock.setblocking(False)
    finally:
        for sock in owed:
            sock.close()
        selector.close()
    return answered


def served_instructions(subject: str, endpoint: str, connections: int, requests: int) -> float:
    """A served subject's instructions per request, between two callgrind dumps."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = _serve(subject, port, out, tmp)
        try:
            deadline = time.monotonic() + 300
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{subject} exited at startup under valgrind")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{subject} did not start under valgrind") from None
                    time.sleep(0.5)
            # Warm-up: every path taken once (caches, lazily built state).
            drive(port, endpoint, connections, 4 * PIPELINE_DEPTH)
            dump = ["callgrind_control", "--dump", str(process.pid)]
            subprocess.run(dump, cwd=tmp, capture_output=True, check=True)
            answered = drive(port, endpoint, connections, requests)
            subprocess.run(dump, cwd=tmp, capture_output=True, check=True)
            # Dumps are numbered from 1: the second holds the measured run only.
            text = Path(f"{out}.2").read_text()
            match = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
            if match is None:
                raise RuntimeError(f"no instruction count in {out}.2")
            return int(match.group(1)) / answered
        finally:
            process.terminate()
            process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--subject",
        choices=(
            "fastcore",
            "fastcore-metrics",
            "fastcore-log-metrics",
            "uvloop-protocol",
            *SERVED,
        ),
        action="append",
    )
    parser.add_argument("--endpoint", choices=ENDPOINTS, action="append")
    parser.add_argument("--count", type=int, default=4000, help="requests of the long run")
    parser.add_argument("--base", type=int, default=800, help="requests of the short run")
    parser.add_argument(
        "--connections", type=int, default=8, help="keep-alive connections (served subjects)"
    )
    parser.add_argument(
        "--served-requests",
        type=int,
        default=512,
        help="requests per connection in the counted run (served subjects)",
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    subjects = args.subject or ["fastcore", "uvloop-protocol"]
    endpoints = args.endpoint or list(ENDPOINTS)
    if args.inner:
        inner(subjects[0], endpoints[0], args.count)
        return
    print(
        f"instructions per request (callgrind; in-process: {args.count} - {args.base} "
        f"requests; served: {args.connections} connections x {args.served_requests})"
    )
    table: dict[str, dict[str, float]] = {}
    for subject in subjects:
        for endpoint in endpoints:
            if endpoint == "template" and subject in ("uvloop-protocol", *SERVED):
                continue  # these answer the harness endpoints only
            if subject in SERVED:
                per_request = served_instructions(
                    subject, endpoint, args.connections, args.served_requests
                )
            else:
                long_run = _instructions(subject, endpoint, args.count)
                short_run = _instructions(subject, endpoint, args.base)
                per_request = (long_run - short_run) / (args.count - args.base)
            table.setdefault(endpoint, {})[subject] = per_request
            print(f"  {subject:16} {endpoint:10} {per_request:9,.0f}", flush=True)
    for endpoint, row in table.items():
        if "fastcore" in row and "uvloop-protocol" in row:
            ratio = row["uvloop-protocol"] / row["fastcore"]
            print(f"  {endpoint:10} baseline/fastcore = {ratio:.2f}x (above 1: fastcore cheaper)")
        if "fastcore-server" in row and "socketify" in row:
            ratio = row["socketify"] / row["fastcore-server"]
            print(f"  {endpoint:10} socketify/fastcore-server = {ratio:.2f}x (served, user space)")
        for subject, what in (
            ("fastcore-metrics", "metrics"),
            ("fastcore-log-metrics", "log+metrics"),
        ):
            if "fastcore" in row and subject in row:
                cost = row[subject] / row["fastcore"] - 1
                print(f"  {endpoint:10} {what} on: {cost:+.1%} instructions per request")


if __name__ == "__main__":
    main()
