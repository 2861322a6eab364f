"""The compiled connection protocol, driven directly with a recording transport.

Real-socket behaviour is covered in tests/integration; these tests look at what
a socket cannot show: how many writes a pass makes, when reading is paused and
resumed, and what a handler sees when the connection goes away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import orjson
import pytest
import uvloop

from fastcore._speedups.http_parser import RequestHead
from fastcore._speedups.protocol import HttpProtocol, ServerState
from fastcore.exceptions import ClientDisconnect, ImproperlyConfigured
from fastcore.responses import PlainTextResponse, Response, StreamingResponse
from fastcore.server import ServerConfig


class RecordingTransport:
    """Just enough of an asyncio transport to watch the protocol act."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("192.0.2.7", 4242) if name == "peername" else default

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def writelines(self, chunks: list[bytes]) -> None:
        self.write(b"".join(chunks))

    def pause_reading(self) -> None:
        self.events.append("pause")

    def resume_reading(self) -> None:
        self.events.append("resume")

    def close(self) -> None:
        self.events.append("close")
        self.closed = True

    def abort(self) -> None:
        self.events.append("abort")
        self.closed = True

    @property
    def data(self) -> bytes:
        return b"".join(self.writes)


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    uvloop.run(test())


def connect(
    dispatch: Callable[[Any], Any], *, inline: bool = True, **options: Any
) -> tuple[HttpProtocol, RecordingTransport]:
    # These dispatch functions need no Task in their first step: they say so,
    # and the protocol drives them eagerly (unless told otherwise).
    if inline:
        dispatch.inline = True  # type: ignore[attr-defined]
    state = ServerState(ServerConfig(**options), asyncio.get_running_loop())
    protocol = HttpProtocol(dispatch, state, RequestHead)
    transport = RecordingTransport()
    protocol.connection_made(transport)
    return protocol, transport


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def hello(request: Any) -> Response:
    return PlainTextResponse(request.path)


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode()


def test_the_compiled_kernel_is_in_use() -> None:
    assert HttpProtocol.__module__ == "fastcore._speedups.protocol"


def test_pipelined_responses_are_merged_into_one_write() -> None:
    async def main() -> None:
        protocol, transport = connect(hello)
        protocol.data_received(b"".join(get(f"/{index}") for index in range(16)))
        assert len(transport.writes) == 1
        assert transport.data.count(b"HTTP/1.1 200 OK") == 16

    run(main)


def test_request_fields_set_by_the_protocol() -> None:
    seen: list[Any] = []

    async def record(request: Any) -> Response:
        seen.append((request.client, request.scheme, request.body_reader.read_nowait()))
        return PlainTextResponse("")

    async def main() -> None:
        protocol, _ = connect(record)
        protocol.data_received(get("/"))

    run(main)
    assert seen == [(("192.0.2.7", 4242), "http", b"")]


def test_a_suspended_handler_resumes_in_a_task_and_keeps_order() -> None:
    release = None

    async def slow_first(request: Any) -> Response:
        if request.path == "/slow":
            assert release is not None
            await release
        return PlainTextResponse(request.path)

    async def main() -> None:
        nonlocal release
        release = asyncio.get_running_loop().create_future()
        protocol, transport = connect(slow_first)
        protocol.data_received(get("/slow") + get("/fast"))
        assert transport.writes == []  # /fast waits behind /slow
        release.set_result(None)
        await settle()
        data = transport.data
        assert data.index(b"/slow") < data.index(b"/fast")

    run(main)


def test_dispatch_may_return_any_awaitable() -> None:
    def future_dispatch(request: Any) -> asyncio.Future[Response]:
        future = asyncio.get_running_loop().create_future()
        future.set_result(PlainTextResponse("from a future"))
        return future

    async def main() -> None:
        protocol, transport = connect(future_dispatch)
        protocol.data_received(get("/"))
        await settle()
        assert transport.data.endswith(b"from a future")

    run(main)


def test_body_backpressure_pauses_and_resumes_reading() -> None:
    reads: list[bytes] = []
    go = None

    async def reader(request: Any) -> Response:
        assert go is not None
        await go
        while True:
            chunk = request.body_reader.read_nowait()
            if chunk is None:
                await request.body_reader.wait()
                continue
            reads.append(chunk)
            if not chunk:
                return PlainTextResponse(str(sum(map(len, reads))))

    async def main() -> None:
        nonlocal go
        go = asyncio.get_running_loop().create_future()
        protocol, transport = connect(reader, body_high_water=1000)
        protocol.data_received(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
        protocol.data_received(b"x" * 2500)
        assert transport.events == ["pause"]
        go.set_result(None)
        await settle()
        assert transport.events == ["pause", "resume"]
        protocol.data_received(b"x" * 2500)
        await settle()
        assert transport.data.endswith(b"\r\n\r\n5000")

    run(main)


def test_write_flow_control_makes_the_stream_wait_for_drain() -> None:
    async def parts() -> AsyncIterator[bytes]:
        for word in (b"one", b"two", b"three"):
            yield word

    async def stream(request: Any) -> Response:
        return StreamingResponse(parts())

    async def main() -> None:
        protocol, transport = connect(stream)
        protocol.pause_writing()
        protocol.data_received(get("/"))
        await settle()
        assert transport.data.endswith(b"3\r\none\r\n")
        protocol.resume_writing()
        await settle()
        assert transport.data.endswith(b"3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n")
        assert transport.events == ["pause", "resume"]

    run(main)


def test_connection_lost_cancels_in_flight_handlers() -> None:
    outcome: list[str] = []

    async def forever(request: Any) -> Response:
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        return PlainTextResponse("")

    async def main() -> None:
        protocol, _ = connect(forever)
        protocol.data_received(get("/a") + get("/b"))
        await settle()
        protocol.connection_lost(None)
        await settle()

    run(main)
    assert outcome == ["cancelled", "cancelled"]


def test_body_reader_raises_client_disconnect_when_the_client_leaves() -> None:
    outcome: list[str] = []

    async def reader(request: Any) -> Response:
        try:
            while request.body_reader.read_nowait() is None:
                await request.body_reader.wait()
            while request.body_reader.read_nowait() != b"":
                await request.body_reader.wait()
        except ClientDisconnect:
            outcome.append("disconnect")
        return PlainTextResponse("")

    async def main() -> None:
        protocol, _ = connect(reader)
        protocol.data_received(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        await settle()
        protocol.connection_lost(ConnectionResetError())
        await settle()

    run(main)
    assert outcome == ["disconnect"]


def test_half_closed_client_still_gets_its_answers() -> None:
    async def slow(request: Any) -> Response:
        await asyncio.sleep(0)
        return PlainTextResponse(request.path)

    async def main() -> None:
        protocol, transport = connect(slow)
        protocol.data_received(get("/a") + get("/b"))
        assert protocol.eof_received() is True
        await settle()
        assert transport.data.count(b"HTTP/1.1 200 OK") == 2
        assert b"connection: close" in transport.writes[-1]
        assert transport.events[-1] == "close"

    run(main)


def test_parser_error_after_pipelined_requests_keeps_order() -> None:
    async def slow(request: Any) -> Response:
        await asyncio.sleep(0)
        return PlainTextResponse(request.path)

    async def main() -> None:
        protocol, transport = connect(slow)
        protocol.data_received(get("/ok") + b"BAD\x00 / HTTP/1.1\r\n\r\n")
        await settle()
        data = transport.data
        assert data.index(b"200 OK") < data.index(b"400 Bad Request")
        assert transport.events[-1] == "close"

    run(main)


def test_shutdown_closes_idle_connections_and_drains_busy_ones() -> None:
    release = None

    async def waiting(request: Any) -> Response:
        assert release is not None
        await release
        return PlainTextResponse("done")

    async def main() -> None:
        nonlocal release
        release = asyncio.get_running_loop().create_future()
        state = ServerState(ServerConfig(), asyncio.get_running_loop())
        idle, busy = HttpProtocol(hello, state), HttpProtocol(waiting, state)
        fresh = HttpProtocol(hello, state)
        idle_transport, busy_transport = RecordingTransport(), RecordingTransport()
        fresh_transport = RecordingTransport()
        for protocol, transport in (
            (idle, idle_transport),
            (busy, busy_transport),
            (fresh, fresh_transport),
        ):
            protocol.connection_made(transport)
        idle.data_received(get("/"))
        await settle()
        busy.data_received(get("/"))
        state.shutdown()
        # A busy connection answers first. A keep-alive connection between
        # requests, and a new one whose first request is still on its way,
        # get a moment for a request their client may be sending this
        # instant (a proxy's pooled connection under load): it is answered,
        # with connection: close.
        assert not idle_transport.closed and not busy_transport.closed
        assert not fresh_transport.closed
        for protocol, transport in ((idle, idle_transport), (fresh, fresh_transport)):
            answered = transport.data.count(b"HTTP/1.1 200 OK")
            protocol.data_received(get("/"))
            await settle()
            assert transport.data.count(b"HTTP/1.1 200 OK") == answered + 1
            assert transport.data.endswith(b"/") and b"connection: close" in transport.data
            assert transport.closed
        release.set_result(None)
        await settle()
        assert b"connection: close" in busy_transport.data
        assert busy_transport.closed

    run(main)


def test_a_quiet_connection_closes_a_moment_after_the_shutdown() -> None:
    async def main() -> None:
        state = ServerState(ServerConfig(keep_alive_timeout=60), asyncio.get_running_loop())
        protocol, transport = HttpProtocol(hello, state, RequestHead), RecordingTransport()
        protocol.connection_made(transport)
        state.start()  # the timer that runs the deadlines
        try:
            protocol.data_received(get("/"))
            await settle()
            state.shutdown()
            assert not transport.closed
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while not transport.closed and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert transport.closed  # after the grace (a second), not the 60 s keep-alive
            assert transport.data.count(b"HTTP/1.1 200 OK") == 1
        finally:
            state.close()

    run(main)


def test_access_log_line(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        protocol, _ = connect(hello, access_log=True)
        protocol.data_received(get("/logged?x=1"))

    with caplog.at_level(logging.INFO, logger="fastcore.access"):
        run(main)
    (record,) = [r for r in caplog.records if r.name == "fastcore.access"]
    message = record.getMessage()
    assert '"GET /logged?x=1 HTTP/1.1" 200 7 ' in message
    assert message.startswith("192.0.2.7:4242")


def test_request_metrics_count_by_route_method_and_status() -> None:
    async def answer(request: Any) -> Response:
        return PlainTextResponse("x", status_code=404 if request.path == "/missing" else 200)

    async def main() -> tuple[dict[Any, int], dict[Any, list[float]]]:
        state = ServerState(ServerConfig(request_metrics=True), asyncio.get_running_loop())
        answer.inline = True  # type: ignore[attr-defined]
        protocol, transport = HttpProtocol(answer, state, RequestHead), RecordingTransport()
        protocol.connection_made(transport)
        for line in ("GET /", "GET /", "POST /", "GET /missing", "PROPFIND /"):
            protocol.data_received(f"{line} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            await settle()
        return state.request_metrics()

    counts, durations = uvloop.run(main())
    # No router here: every request's route is None (the "<unmatched>" label).
    assert counts == {
        (None, "GET", 200): 2,
        (None, "POST", 200): 1,
        (None, "GET", 404): 1,
        (None, "PROPFIND", 200): 1,  # a method without a C slot: counted all the same
    }
    (row,) = durations.values()
    assert sum(row[:-1]) == 5 and row[-1] >= 0.0  # per bucket and +Inf, then the seconds


def _access_lines(caplog: pytest.LogCaptureFixture, **options: Any) -> list[str]:
    async def main() -> None:
        protocol, _ = connect(hello, **options)
        protocol.data_received(
            b"GET /logged?x=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: probe/1.0\r\n\r\n"
        )

    with caplog.at_level(logging.INFO, logger="fastcore.access"):
        run(main)
    return [r.getMessage() for r in caplog.records if r.name == "fastcore.access"]


def test_access_log_as_json(caplog: pytest.LogCaptureFixture) -> None:
    (line,) = _access_lines(caplog, access_log_format="json")
    entry = orjson.loads(line)
    assert entry["method"] == "GET" and entry["path"] == "/logged" and entry["query"] == "x=1"
    assert (entry["status"], entry["size"], entry["version"]) == (200, 7, "1.1")
    assert entry["client"] == "192.0.2.7:4242" and entry["user_agent"] == "probe/1.0"
    assert entry["host"] == "t" and entry["request_id"] == "-"
    assert entry["duration_ms"] >= 0


def test_access_log_with_a_format_of_its_own(caplog: pytest.LogCaptureFixture) -> None:
    fmt = "{method} {path} -> {status} ua={user_agent} referer={referer}"
    assert _access_lines(caplog, access_log_format=fmt) == [
        "GET /logged -> 200 ua=probe/1.0 referer=-"
    ]


def test_an_unknown_access_log_field_is_refused_at_startup() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"unknown field\(s\) agent .*known: client"):
        ServerConfig(access_log_format="{client} {agent}")


def test_shutdown_during_a_stream_closes_after_it() -> None:
    release = None

    async def parts() -> AsyncIterator[bytes]:
        assert release is not None
        yield b"first"
        await release
        yield b"last"

    async def stream(request: Any) -> Response:
        return StreamingResponse(parts())

    async def main() -> None:
        nonlocal release
        release = asyncio.get_running_loop().create_future()
        state = ServerState(ServerConfig(), asyncio.get_running_loop())
        protocol, transport = HttpProtocol(stream, state), RecordingTransport()
        protocol.connection_made(transport)
        protocol.data_received(get("/"))
        await settle()
        state.shutdown()
        assert not transport.closed
        release.set_result(None)
        await settle()
        assert transport.data.endswith(b"4\r\nlast\r\n0\r\n\r\n")
        assert transport.closed

    run(main)


@pytest.mark.parametrize(("eager", "inline"), [(True, True), (False, True), (True, False)])
def test_eager_dispatch_and_the_current_task(eager: bool, inline: bool) -> None:
    seen: list[bool] = []

    async def check(request: Any) -> Response:
        seen.append(asyncio.current_task() is not None)
        await asyncio.sleep(0)
        seen.append(asyncio.current_task() is not None)
        return PlainTextResponse("ok")

    async def main() -> None:
        protocol, transport = connect(check, inline=inline, eager_dispatch=eager)
        # As uvloop does: from a loop callback, outside any Task.
        asyncio.get_running_loop().call_soon(protocol.data_received, get("/"))
        await settle()
        assert transport.data.endswith(b"ok")

    run(main)
    # Eagerly, a dispatch that says it needs no Task in its first step runs
    # that step outside any Task, and a Task takes over after; any other
    # dispatch (an ASGI app, say) starts in a Task.
    assert seen == ([False, True] if eager and inline else [True, True])


@pytest.mark.parametrize("suspend", [False, True])
def test_no_reference_leak_per_request(suspend: bool) -> None:
    import gc
    import sys

    response = PlainTextResponse("shared")

    async def shared(request: Any) -> Response:
        if suspend:
            await asyncio.sleep(0)
        return response

    async def main() -> None:
        protocol, transport = connect(shared)
        for _ in range(50):  # warm up caches and freelists
            protocol.data_received(get("/"))
        await settle()
        gc.collect()
        before = sys.getrefcount(response), len(gc.get_objects())
        for _ in range(500):
            protocol.data_received(get("/"))
            if suspend:
                await settle()
        await settle()
        transport.writes.clear()
        gc.collect()
        after = sys.getrefcount(response), len(gc.get_objects())
        assert after[0] == before[0]
        assert after[1] - before[1] < 50

    run(main)


@pytest.mark.parametrize("header", [(b"x y", b"v"), (b"x-a", b"v\x00"), (b"", b"v")])
def test_an_invalid_response_header_is_answered_500(
    header: tuple[bytes, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    # The application's response never reaches the wire: the client gets a
    # 500 instead, and the error is logged (the same as any response that
    # cannot be serialized).
    async def bad(request: Any) -> Response:
        response = PlainTextResponse("hi")
        response.raw_headers.append(header)
        return response

    async def main() -> None:
        protocol, transport = connect(bad)
        protocol.data_received(get("/") + get("/"))
        await settle()
        assert transport.data.count(b"HTTP/1.1 500 Internal Server Error\r\n") == 2
        assert b"\r\n" + header[0] + b": " + header[1] not in transport.data

    with caplog.at_level(logging.ERROR):
        run(main)
    assert "cannot serialize the response" in caplog.text or "invalid response" in caplog.text
