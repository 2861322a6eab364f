"""Instructions per static-file request, counted by callgrind: the 1 KiB file of run.py.

Wall-clock figures on the shared 2-core machine drift by tens of percent; an
instruction count does not. The app of ``apps/fastcore_static.py`` serves a
collected folder (as ``fastcore collectstatic`` writes it, as run.py does)
behind the compiled ``HttpProtocol`` fed in-process (bench/load's
``NullTransport`` drops the written bytes). Two runs with different request
counts; the difference over the extra requests is the cost of one request,
start-up cancelled out. Requests:

- ``plain``: ``GET /static/small.css`` as wrk sends it (no Accept-Encoding);
- ``gzip``: the same with ``Accept-Encoding: gzip, br`` (a browser's).

Run (about a minute)::

    python bench/static/callgrind_static.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "apps"))
sys.path.insert(0, str(HERE.parent / "load"))
sys.path.insert(0, str(HERE.parent / "load" / "apps"))

from _null_transport import NullTransport  # noqa: E402
from callgrind_request import callgrind_instructions  # noqa: E402

REQUESTS = {
    "plain": b"GET /static/small.css HTTP/1.1\r\nHost: localhost:8080\r\n\r\n",
    "gzip": b"GET /static/small.css HTTP/1.1\r\nHost: localhost:8080\r\n"
    b"Accept-Encoding: gzip, br\r\n\r\n",
}


def make_folder(base: Path) -> Path:
    """The 1 KiB file of run.py, collected."""
    static = base / "static"
    static.mkdir()
    (static / "small.css").write_bytes(bytes(range(48, 112)) * 16)  # 1 KiB of text
    (static / "page.html").write_text("<p>page</p>")
    subprocess.run(
        [sys.executable, "-c", "from fastcore.cli import main; raise SystemExit(main())"]
        + ["collectstatic", "fastcore_static:app"],
        cwd=HERE / "apps",
        env=dict(os.environ, BENCH_STATIC_DIR=str(static)),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return static


def inner(request: str, count: int) -> None:
    """Feed ``count`` requests to one connection of the static app."""
    import asyncio

    import uvloop
    from fastcore_static import app

    from fastcore._speedups.protocol import HttpProtocol, ServerState
    from fastcore.server import ServerConfig

    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(app.startup())
    transport = NullTransport()
    written: list[bytes] = []
    # (The status line of each answer: the gzip variant is shorter than 1 KiB.)
    transport.write = lambda data: written.append(bytes(data[:12]))  # type: ignore[method-assign]
    # The request class the bundled server gives the parser (fastcore.server.serve).
    protocol = HttpProtocol(
        app.build_dispatch(), ServerState(ServerConfig(), loop), app.request_class
    )
    protocol.connection_made(transport)
    data = REQUESTS[request]
    for _ in range(count):
        protocol.data_received(data)
        # One loop pass per request, as a server's loop makes: a handler run
        # as a Task finishes in it (the same harness cost either way).
        loop.run_until_complete(asyncio.sleep(0))
    assert written == [b"HTTP/1.1 200"] * count, written[:3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--request", choices=list(REQUESTS), action="append")
    parser.add_argument("--count", type=int, default=3000, help="requests of the long run")
    parser.add_argument("--base", type=int, default=500, help="requests of the short run")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    requests = args.request or list(REQUESTS)
    if args.inner:
        inner(requests[0], args.count)
        return
    print(f"instructions per request (callgrind, {args.count} - {args.base} requests)")
    with tempfile.TemporaryDirectory() as tmp:
        static = make_folder(Path(tmp))
        os.environ["BENCH_STATIC_DIR"] = str(static)
        script = str(Path(__file__).resolve())
        for request in requests:
            counts = [
                callgrind_instructions(
                    [script, "--inner", "--request", request, "--count", str(count)]
                )
                for count in (args.count, args.base)
            ]
            per_request = (counts[0] - counts[1]) / (args.count - args.base)
            print(f"  {request:6} {per_request:9,.0f}", flush=True)


if __name__ == "__main__":
    main()
