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

Endpoints (``--endpoint``): ``plaintext``, ``json``, ``pipelined`` (16
plaintext requests per read) and, for the fastcore subjects only,
``template`` (``apps/fastcore_template_app.py``: a 12-row table rendered from
a template, the template page of the metrics cost).

Run (about half a minute)::

    python bench/load/callgrind_request.py                   # every subject and endpoint
    python bench/load/callgrind_request.py --subject fastcore --endpoint plaintext

``--inner`` runs the driver itself (that is what valgrind is given).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
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


sys.path.insert(0, str(APPS))
from _null_transport import NullTransport  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--subject",
        choices=("fastcore", "fastcore-metrics", "fastcore-log-metrics", "uvloop-protocol"),
        action="append",
    )
    parser.add_argument("--endpoint", choices=ENDPOINTS, action="append")
    parser.add_argument("--count", type=int, default=4000, help="requests of the long run")
    parser.add_argument("--base", type=int, default=800, help="requests of the short run")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    subjects = args.subject or ["fastcore", "uvloop-protocol"]
    endpoints = args.endpoint or list(ENDPOINTS)
    if args.inner:
        inner(subjects[0], endpoints[0], args.count)
        return
    print(f"instructions per request (callgrind, {args.count} - {args.base} requests)")
    table: dict[str, dict[str, float]] = {}
    for subject in subjects:
        for endpoint in endpoints:
            if endpoint == "template" and not subject.startswith("fastcore"):
                continue  # the baseline answers fixed bytes only
            long_run = _instructions(subject, endpoint, args.count)
            short_run = _instructions(subject, endpoint, args.base)
            per_request = (long_run - short_run) / (args.count - args.base)
            table.setdefault(endpoint, {})[subject] = per_request
            print(f"  {subject:16} {endpoint:10} {per_request:9,.0f}", flush=True)
    for endpoint, row in table.items():
        if "fastcore" in row and "uvloop-protocol" in row:
            ratio = row["uvloop-protocol"] / row["fastcore"]
            print(f"  {endpoint:10} baseline/fastcore = {ratio:.2f}x (above 1: fastcore cheaper)")
        for subject, what in (
            ("fastcore-metrics", "metrics"),
            ("fastcore-log-metrics", "log+metrics"),
        ):
            if "fastcore" in row and subject in row:
                cost = row[subject] / row["fastcore"] - 1
                print(f"  {endpoint:10} {what} on: {cost:+.1%} instructions per request")


if __name__ == "__main__":
    main()
