"""Cost of the default HTML security stack on a simple page: ``App(security=True)`` vs ``False``.

The same app (a template-rendered page) is measured with the stack that an
HTML app gets by default (trusted hosts, security headers with CSP, body and
rate limit hooks, signed-cookie sessions, CSRF) and with none, in the same run:

- in-process, with pytest-benchmark: parse, dispatch through the App,
  serialize, for an anonymous visitor and for one sending a session cookie
  (verified and loaded on every request)::

      taskset -c 1 python -m pytest bench/micro/test_bench_security_stack.py --benchmark-only

- over real sockets, the figure the target (under 10% of throughput) is about:
  the bundled server pinned to core 0, ``wrk`` pinned to core 1, rounds
  alternating the two apps, medians reported::

      python bench/micro/test_bench_security_stack.py --rounds 5 --duration 5

  Both requests per second and requests per second of server CPU time are
  reported (the second is steadier when other work shares the machine).

- instructions per request, counted by valgrind's callgrind (deterministic on
  a shared machine): the request fed to the server's connection protocol
  in-process (``HttpProtocol.data_received`` on a transport that drops the
  bytes, the path ``fastcore run`` takes), run twice with different counts,
  the difference divided by the extra requests (about 4 minutes)::

      python bench/micro/test_bench_security_stack.py --callgrind
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fastcore import App, PlainTextResponse, Request, Settings
from fastcore._speedups.http_parser import HttpRequestParser
from fastcore._speedups.response_writer import ResponseWriter

HERE = Path(__file__).resolve().parent
SECRET = "bench-K3y_0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
LINKS = [{"url": f"/section/{n}", "label": f"Section {n}"} for n in range(5)]


def build_app(secured: bool) -> App:
    """The benchmark app; production settings, so the stack is the one users run."""
    settings = Settings(
        template_folders=[str(HERE / "security_templates")],
        secret_key=SECRET,
        allowed_hosts=["localhost", "127.0.0.1"],
    )
    app = App(settings=settings, security=secured)

    @app.get("/page")
    async def page(request: Request) -> Any:
        return app.render("page.html", title="Hello", name="World", links=LINKS)

    @app.get("/login")
    async def login(request: Request) -> Any:
        request.session["user_id"] = 42
        return app.render("page.html", title="Welcome", name="Ada", links=LINKS)

    @app.get("/plaintext")
    async def plaintext() -> PlainTextResponse:
        return PlainTextResponse("Hello, World!")

    return app


#: The apps the wrk mode serves (``fastcore run bench.micro.test_bench_security_stack:...``).
secured_app = build_app(True)
bare_app = build_app(False)

HEAD = b"GET /page HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\n"


def drive(coroutine: Any) -> Any:
    """Run a coroutine that never really suspends, without an event loop turn."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the handler suspended")


def parse(raw: bytes) -> Request:
    parser = HttpRequestParser(head_type=Request)
    parser.feed(raw)
    parser.next_event()
    request: Request = parser.head
    request.client = ("127.0.0.1", 50000)
    return request


def session_cookie(app: App) -> bytes:
    response = drive(app.build_dispatch()(parse(b"GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n")))
    value = dict(response.raw_headers)[b"set-cookie"].split(b";")[0]
    return b"Cookie: " + value + b"\r\n"


def page_request(security: str, visitor: str) -> Any:
    """A function serving one page in-process (parse, dispatch, serialize)."""
    app = build_app(security == "on")
    dispatch = app.build_dispatch()
    writer = ResponseWriter()
    raw = HEAD
    if visitor == "with-session":
        raw += session_cookie(app) if security == "on" else b"Cookie: session=x\r\n"
    raw += b"\r\n"

    def one_request() -> bytes:
        response = drive(dispatch(parse(raw)))
        return writer.serialize(response, 1, True, False)

    return one_request


@pytest.mark.parametrize("security", ["off", "on"])
@pytest.mark.parametrize("visitor", ["anonymous", "with-session"])
def test_page(benchmark, security: str, visitor: str) -> None:  # type: ignore[no-untyped-def]
    one_request = page_request(security, visitor)
    out = one_request()
    assert b"200 OK" in out and b"Hello, World!" in out
    assert (b"content-security-policy" in out) == (security == "on")
    benchmark(one_request)


# --- over real sockets, with wrk ----------------------------------------------


def wrk_rounds(rounds: int, duration: float, connections: int) -> dict[str, list[Any]]:
    """Serve each app in turn and load it with wrk; return the runs by app name."""
    sys.path[:0] = [str(HERE.parent / "load"), str(HERE.parent.parent)]
    import psutil
    from run import RunResult, Workload, free_port, run_wrk, stop_server, wait_until_ready

    page = Workload("page", "/page", False, "text/html", b"")
    runs: dict[str, list[Any]] = {"bare_app": [], "secured_app": []}
    for number in range(rounds):
        order = list(runs) if number % 2 == 0 else list(reversed(runs))
        for name in order:
            port = free_port()
            argv = ["taskset", "-c", "0", sys.executable, "-m", "fastcore.server.cli", "run"]
            argv += [f"bench.micro.test_bench_security_stack:{name}", "--port", str(port)]
            server = subprocess.Popen(
                argv,
                cwd=HERE.parent.parent,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                wait_until_ready(server, port, timeout=20)
                run_wrk(port, page, 1, connections, 1, RunResult(name, "warmup", number))
                process = psutil.Process(server.pid)
                before = process.cpu_times()
                result = RunResult(name, "page", number)
                run_wrk(port, page, duration, connections, 1, result)
                after = process.cpu_times()
                result.server_cpu_seconds = (after.user - before.user) + (
                    after.system - before.system
                )
                if result.error or result.non_2xx:
                    raise RuntimeError(f"{name}: {result.error or result.non_2xx} bad responses")
                runs[name].append(result)
            finally:
                stop_server(server)
    return runs


# --- instructions, with callgrind ----------------------------------------------


def feed_protocol(security: str, visitor: str, requests: int) -> None:
    """Feed ``requests`` page requests to one connection of the server's protocol."""
    import asyncio

    import uvloop

    from fastcore._speedups.protocol import HttpProtocol, ServerState
    from fastcore.server import ServerConfig

    app = build_app(security == "on")
    raw = HEAD
    if visitor == "with-session":
        raw += session_cookie(app) if security == "on" else b"Cookie: session=x\r\n"
    raw += b"\r\n"
    written: list[bytes] = []

    class Transport:
        """Drops what it is given, keeping the last write to check it."""

        def write(self, data: bytes) -> None:
            written[:] = [data]

        def get_extra_info(self, name: str, default: Any = None) -> Any:
            return ("127.0.0.1", 50000) if name == "peername" else default

    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    protocol = HttpProtocol(app.build_dispatch(), ServerState(ServerConfig(), loop), Request)
    protocol.connection_made(Transport())
    for _ in range(requests):
        protocol.data_received(raw)
    # Every page was answered within data_received (no Task left pending).
    if not written or not written[0].startswith(b"HTTP/1.1 200 OK"):
        raise RuntimeError(f"the page was not answered in place: {written[:1]!r}")


CASES = (("off", "anonymous"), ("on", "anonymous"), ("off", "with-session"), ("on", "with-session"))


def callgrind_cases(short: int = 200, long: int = 700) -> None:
    """Print the instructions per in-process request of every case."""
    sys.path.insert(0, str(HERE.parent / "load"))
    from callgrind_request import callgrind_instructions

    def count(security: str, visitor: str, requests: int) -> int:
        args = ["--inner", security, visitor, str(requests)]
        return callgrind_instructions([str(Path(__file__).resolve()), *args])

    print(f"instructions per request (callgrind, {long} - {short} requests)")
    for security, visitor in CASES:
        extra = count(security, visitor, long) - count(security, visitor, short)
        print(f"  stack {security:3}  {visitor:12}  {extra / (long - short):9,.0f}", flush=True)


def main() -> None:
    """Compare the two apps over real sockets and print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead")
    parser.add_argument("--inner", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        security, visitor, requests = args.inner
        feed_protocol(security, visitor, int(requests))
        return
    if args.callgrind:
        callgrind_cases()
        return
    runs = wrk_rounds(args.rounds, args.duration, args.connections)
    medians = {}
    for name, results in runs.items():
        rps = statistics.median(result.requests_per_second for result in results)
        per_cpu = statistics.median(result.requests_per_cpu_second for result in results)
        medians[name] = (rps, per_cpu)
        print(f"{name:12} {rps:10.0f} req/s  {per_cpu:10.0f} req/s of server CPU")
    (bare_rps, bare_cpu), (secured_rps, secured_cpu) = medians["bare_app"], medians["secured_app"]
    print(
        f"security stack: {secured_rps / bare_rps:.3f}x the throughput "
        f"({(1 - secured_rps / bare_rps) * 100:.1f}% less), "
        f"{secured_cpu / bare_cpu:.3f}x per CPU second "
        f"({(1 - secured_cpu / bare_cpu) * 100:.1f}% less)"
    )


if __name__ == "__main__":
    main()
