"""The typed workload under load: fastcore's server vs FastAPI and Litestar on uvicorn, with wrk.

Each server runs alone with one worker pinned to one core (``--server-core``),
wrk runs pinned to the other; rounds rotate the server order. The request is
``POST /items/42?q=hello&limit=5`` with the 10-field JSON body of
:mod:`bench.typed.apps`, validated and echoed. Every server's answer is checked
before it is measured. Reuses the start/stop helpers of ``bench/load/run.py``.

Run (about a minute with the defaults)::

    python bench/typed/load.py
    python bench/typed/load.py --rounds 3 --duration 5 --connections 64
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "load"))

from run import HOST, free_port, start_server, stop_server, wait_until_ready  # noqa: E402
from servers import ServerSpec, _fastcore_run, _uvicorn  # noqa: E402

from bench.typed.apps import BODY, PATH, QUERY  # noqa: E402
from bench.typed.runners import EXPECTED  # noqa: E402

SERVERS = {
    "fastcore-typed": ServerSpec(
        "fastcore-typed",
        "fastcore",
        "typed handler on fastcore's server",
        _fastcore_run("bench.typed.served:fastcore_typed_app"),
        (),
    ),
    "fastcore-raw": ServerSpec(
        "fastcore-raw",
        "fastcore",
        "raw handler on fastcore's server",
        _fastcore_run("bench.typed.served:fastcore_raw_app"),
        (),
    ),
    "fastapi": ServerSpec(
        "fastapi", "peer", "FastAPI on uvicorn", _uvicorn("bench.typed.served:fastapi"), ()
    ),
    "litestar": ServerSpec(
        "litestar", "peer", "Litestar on uvicorn", _uvicorn("bench.typed.served:litestar"), ()
    ),
}
LUA = Path(__file__).resolve().parent / "post.lua"


def check(port: int) -> None:
    """Fail unless the server echoes the workload as expected."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    headers = {"content-type": "application/json"}
    connection.request("POST", f"{PATH}?{QUERY}", body=BODY, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200 or json.loads(body) != EXPECTED:
        raise SystemExit(f"port {port} answered {response.status}: {body[:200]!r}")


def wrk(port: int, args: argparse.Namespace, body_file: str) -> float:
    """Requests per second of one bounded wrk run."""
    argv = ["taskset", "-c", str(args.wrk_core), "wrk", "-t1", f"-c{args.connections}"]
    argv += [f"-d{args.duration:g}s", "--timeout", "2s", "-s", str(LUA)]
    argv.append(f"http://{HOST}:{port}{PATH}?{QUERY}")
    env = dict(os.environ, TYPED_BODY_FILE=body_file)
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=args.duration + 15, env=env, check=True
    )
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise SystemExit(f"errors under load on port {port}:\n{done.stdout}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        raise SystemExit(f"no Requests/sec in wrk's output:\n{done.stdout}")
    return float(found.group(1))


def main() -> None:
    """Measure every server, print medians and ratios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--wrk-core", type=int, default=1)
    args = parser.parse_args()
    names = args.servers.split(",")
    results: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        body_file = str(Path(tmp) / "body.json")
        Path(body_file).write_bytes(BODY)
        log = Path(tmp) / "servers.log"
        for round_index in range(args.rounds):
            order = names[round_index % len(names) :] + names[: round_index % len(names)]
            for name in order:
                port = free_port()
                proc = start_server(SERVERS[name], port, args.server_core, log)
                try:
                    wait_until_ready(proc, port, 20.0)
                    check(port)
                    wrk(port, argparse.Namespace(**{**vars(args), "duration": 1}), body_file)
                    results[name].append(wrk(port, args, body_file))
                finally:
                    stop_server(proc)
                print(f"round {round_index + 1} {name:15} {results[name][-1]:10,.0f} req/s")
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"\nmedian requests/s ({args.rounds} rounds of {args.duration:g} s, -c{args.connections})"
    )
    typed = medians.get("fastcore-typed")
    for name, value in medians.items():
        ratio = (
            f"  fastcore-typed is {typed / value:.2f}x"
            if typed and name != "fastcore-typed"
            else ""
        )
        print(f"  {name:15} {value:10,.0f}{ratio}")


if __name__ == "__main__":
    main()
