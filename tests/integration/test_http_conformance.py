"""HTTP/1.1 conformance of the bundled server over real sockets."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from fastcore.exceptions import ClientDisconnect
from fastcore.responses import PlainTextResponse, Response, StreamingResponse
from tests.integration.helpers import HttpReader, LiveServer, get, request

Serve = Callable[..., LiveServer]


async def read_body(req: Any) -> bytes:
    reader = req.body_reader
    parts = []
    while True:
        chunk = reader.read_nowait()
        if chunk is None:
            await reader.wait()
            continue
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


async def echo(req: Any) -> Response:
    """Answer with the method, the path and the request body."""
    body = await read_body(req)
    return PlainTextResponse(f"{req.method} {req.path} ".encode() + body)


def test_keep_alive_serves_several_requests_on_one_connection(serve: Serve) -> None:
    server = serve(echo)
    with server.connect() as sock:
        reader = HttpReader(sock)
        for index in range(3):
            sock.sendall(get(f"/{index}"))
            response = reader.read_response()
            assert response.status == 200
            assert response.body == f"GET /{index} ".encode()
            assert response.header("connection") is None
        assert server.connection_count == 1


def test_sixteen_pipelined_requests_are_answered_in_order(serve: Serve) -> None:
    async def staggered(req: Any) -> Response:
        index = int(req.path[1:])
        if index % 2:
            # Earlier requests sleep longer, so later ones finish first.
            await asyncio.sleep((16 - index) * 0.005)
        return PlainTextResponse(str(index))

    server = serve(staggered)
    with server.connect() as sock:
        sock.sendall(b"".join(get(f"/{index}") for index in range(16)))
        reader = HttpReader(sock)
        bodies = [reader.read_response().body for _ in range(16)]
    assert bodies == [str(index).encode() for index in range(16)]


def test_synchronous_pipelined_responses_leave_in_one_segment(serve: Serve) -> None:
    server = serve(echo)
    with server.connect() as sock:
        sock.sendall(b"".join(get(f"/{index}") for index in range(16)))
        time.sleep(0.2)
        # All sixteen answers were written at once: one recv gets them all.
        data = sock.recv(1 << 20)
    assert data.count(b"HTTP/1.1 200 OK") == 16


def test_request_written_byte_by_byte(serve: Serve) -> None:
    server = serve(echo)
    raw = request("POST", "/bytes", b"hello world")
    with server.connect() as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index in range(len(raw)):
            sock.send(raw[index : index + 1])
        response = HttpReader(sock).read_response()
    assert response.body == b"POST /bytes hello world"


def test_chunked_request_body_with_extensions_and_trailers(serve: Serve) -> None:
    server = serve(echo)
    raw = (
        b"POST /chunked HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n"
        b"1;flag\r\n \r\n"
        b"5\r\nworld\r\n"
        b"0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"
    )
    with server.connect() as sock:
        sock.sendall(raw + get("/after"))
        reader = HttpReader(sock)
        assert reader.read_response().body == b"POST /chunked hello world"
        assert reader.read_response().body == b"GET /after "


SMUGGLING = {
    "CL.TE": (
        b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "TE.CL": (
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "TE.TE xchunked": (
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: xchunked\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "TE.TE space before colon": (
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding : chunked\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "TE.TE chunked then identity": (
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "TE.TE obs-fold": (
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "TE.TE vertical tab": (
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding:\x0bchunked\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "TE.TE two headers": (
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: x\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "TE on HTTP/1.0": (
        b"POST / HTTP/1.0\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "duplicate CL": (
        b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "CL with a comma list": (
        b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 0, 40\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "CL with a sign": (
        b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: +0\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "bare LF line ending": (
        b"POST / HTTP/1.1\nHost: test\nContent-Length: 0\n\n"
        b"GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
    "bad chunk size": (
        b"POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0x0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
    ),
}


@pytest.mark.parametrize("raw", SMUGGLING.values(), ids=SMUGGLING.keys())
def test_smuggling_shapes_are_refused_and_the_inner_request_never_answered(
    serve: Serve, raw: bytes
) -> None:
    seen: list[str] = []

    async def recording(req: Any) -> Response:
        seen.append(req.path)
        try:
            await read_body(req)
        except ClientDisconnect:
            pass
        return PlainTextResponse("served " + req.path)

    server = serve(recording)
    with server.connect() as sock:
        sock.sendall(raw)
        data = HttpReader(sock).read_all_until_close()
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert data.count(b"HTTP/1.1") == 1
    assert b"connection: close\r\n" in data
    assert b"smuggled" not in data.lower()
    assert "/smuggled" not in seen


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (get("/" + "a" * 9000), 414),
        (get("/", "X-Big: " + "b" * 70000), 431),
        (get("/", *[f"X-H{index}: v" for index in range(120)]), 431),
        (b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 17000000\r\n\r\n", 413),
        (b"GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505),
    ],
    ids=["414 request line", "431 header bytes", "431 header count", "413 body", "505"],
)
def test_limits_answer_their_status_and_close(serve: Serve, raw: bytes, status: int) -> None:
    server = serve(echo)
    with server.connect() as sock:
        try:
            # A pipelined request follows: after the refusal nothing is answered.
            sock.sendall(raw + get("/after"))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before reading everything
        reader = HttpReader(sock)
        response = reader.read_response()
        assert response.status == status
        assert response.header("connection") == "close"
        # Read to EOF: not one byte (a second response, say) after the refusal.
        assert reader.read_all_until_close() == b""


def test_slowloris_is_closed_by_the_header_timeout(serve: Serve) -> None:
    server = serve(echo, header_timeout=0.3, keep_alive_timeout=5.0)
    with server.connect() as sock:
        started = time.monotonic()
        reader = HttpReader(sock)
        sent = 0
        raw = get("/", *[f"X-Slow-{index}: value" for index in range(50)])
        try:
            while sent < len(raw) - 4 and time.monotonic() - started < 3:
                sock.send(raw[sent : sent + 1])
                sent += 1
                time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = reader.read_response()
        assert response.status == 408
        assert reader.wait_closed()
        assert time.monotonic() - started < 2.0


def test_idle_keep_alive_connection_is_closed_quietly(serve: Serve) -> None:
    server = serve(echo, keep_alive_timeout=0.2)
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(get("/"))
        assert reader.read_response().status == 200
        started = time.monotonic()
        assert reader.read_all_until_close(3) == b""
        assert time.monotonic() - started < 1.5


def test_client_vanishing_mid_body(serve: Serve) -> None:
    outcome: list[str] = []

    async def reading(req: Any) -> Response:
        if req.path == "/upload":
            try:
                await read_body(req)
            except ClientDisconnect:
                outcome.append("disconnect")
                raise
            outcome.append("complete")
        return PlainTextResponse("ok")

    server = serve(reading)
    sock = server.connect()
    sock.sendall(request("POST", "/upload", b"x" * 100)[:-90])
    time.sleep(0.1)
    sock.close()
    deadline = time.monotonic() + 3
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.01)
    assert outcome == ["disconnect"]
    with server.connect() as other:
        other.sendall(get("/still-alive"))
        assert HttpReader(other).read_response().status == 200


def test_expect_continue_is_sent_when_the_handler_reads(serve: Serve) -> None:
    server = serve(echo)
    with server.connect() as sock:
        sock.sendall(
            b"POST /c HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        reader = HttpReader(sock)
        interim = reader.read_response()
        assert interim.status == 100
        sock.sendall(b"hello")
        response = reader.read_response()
        assert response.body == b"POST /c hello"
        assert response.header("connection") is None


def test_expect_continue_is_not_sent_when_the_handler_does_not_read(serve: Serve) -> None:
    async def refuse(req: Any) -> Response:
        return PlainTextResponse("too big", status_code=413)

    server = serve(refuse)
    with server.connect() as sock:
        sock.sendall(
            b"POST /c HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        reader = HttpReader(sock)
        response = reader.read_response()
        assert response.status == 413
        # The client may still send the body: closing keeps framing certain.
        assert response.header("connection") == "close"
        assert reader.read_all_until_close() == b""


def test_large_body_with_backpressure(serve: Serve) -> None:
    release = asyncio.Event()
    size = 24 * 1024 * 1024

    async def slow_reader(req: Any) -> Response:
        await release.wait()
        body = await read_body(req)
        return PlainTextResponse(f"{len(body)} {body.count(b'z')}")

    server = serve(slow_reader, body_high_water=64 * 1024, max_body=64 * 1024 * 1024)
    with server.connect() as sock:
        head = f"POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: {size}\r\n\r\n".encode()
        sock.sendall(head)
        sock.setblocking(False)
        payload = memoryview(b"z" * size)
        sent = 0
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                sent += sock.send(payload[sent : sent + 65536])
            except BlockingIOError:
                time.sleep(0.01)
        # The server stopped reading: only socket buffers hold the rest.
        assert sent < size // 2
        server.call(release.set)
        sock.setblocking(True)
        sock.settimeout(10)
        sock.sendall(payload[sent:])
        response = HttpReader(sock).read_response(timeout=10)
    assert response.body == f"{size} {size}".encode()


def test_head_response_has_length_but_no_body(serve: Serve) -> None:
    async def page(req: Any) -> Response:
        return PlainTextResponse("twelve bytes")

    server = serve(page)
    with server.connect() as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: test\r\n\r\n" + get("/next"))
        reader = HttpReader(sock)
        head = reader.read_response(head_request=True)
        assert head.status == 200
        assert head.header("content-length") == "12"
        following = reader.read_response()
        assert following.body == b"twelve bytes"


def test_http_10_closes_by_default_and_keeps_alive_on_request(serve: Serve) -> None:
    server = serve(echo)
    with server.connect() as sock:
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        reader = HttpReader(sock)
        response = reader.read_response()
        assert response.body == b"GET /old "
        assert response.header("connection") == "close"
        assert reader.wait_closed()
    with server.connect() as sock:
        reader = HttpReader(sock)
        for _ in range(2):
            sock.sendall(b"GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            response = reader.read_response()
            assert response.header("connection") == "keep-alive"


def test_connection_close_is_honored(serve: Serve) -> None:
    server = serve(echo)
    with server.connect() as sock:
        sock.sendall(get("/last", "Connection: close") + get("/never"))
        data = HttpReader(sock).read_all_until_close()
    assert data.count(b"HTTP/1.1 200 OK") == 1
    assert b"connection: close" in data
    assert b"/never" not in data


def test_streaming_response_is_chunked_on_http_11_and_close_delimited_on_10(
    serve: Serve,
) -> None:
    async def parts() -> Any:
        for word in (b"alpha", b"", b"beta", b"gamma"):
            await asyncio.sleep(0)
            yield word

    async def stream(req: Any) -> Response:
        return StreamingResponse(parts(), media_type="text/plain")

    server = serve(stream)
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(get("/s") + get("/s"))
        for _ in range(2):
            response = reader.read_response()
            assert response.header("transfer-encoding") == "chunked"
            assert response.header("content-length") is None
            assert response.body == b"alphabetagamma"
            assert response.raw.endswith(b"5\r\nalpha\r\n4\r\nbeta\r\n5\r\ngamma\r\n0\r\n\r\n")
    with server.connect() as sock:
        sock.sendall(b"GET /s HTTP/1.0\r\n\r\n")
        data = HttpReader(sock).read_all_until_close()
    assert data.endswith(b"\r\n\r\nalphabetagamma")
    assert b"connection: close" in data


def test_failing_handler_answers_500_and_the_server_goes_on(serve: Serve) -> None:
    async def flaky(req: Any) -> Response:
        if req.path == "/boom":
            raise RuntimeError("handler bug")
        if req.path == "/late-boom":
            await asyncio.sleep(0.01)
            raise RuntimeError("late handler bug")
        return PlainTextResponse("fine")

    server = serve(flaky)
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(get("/boom") + get("/late-boom") + get("/ok"))
        assert [reader.read_response().status for _ in range(3)] == [500, 500, 200]


def test_unread_small_body_is_discarded_and_large_one_closes(serve: Serve) -> None:
    async def ignore_body(req: Any) -> Response:
        return PlainTextResponse("ignored")

    server = serve(ignore_body, max_discard=1024)
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(request("POST", "/small", b"s" * 100) + get("/next"))
        assert reader.read_response().header("connection") is None
        assert reader.read_response().body == b"ignored"
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(request("POST", "/large", b"l" * 100_000)[:200])
        response = reader.read_response()
        assert response.header("connection") == "close"
        assert reader.wait_closed()


def test_date_and_server_headers(serve: Serve) -> None:
    server = serve(echo, server_header="custom/1.0")
    quiet = serve(echo, server_header=None)
    with server.connect() as sock:
        sock.sendall(get("/"))
        response = HttpReader(sock).read_response()
    assert response.header("server") == "custom/1.0"
    date = response.header("date")
    assert date is not None and date.endswith(" GMT")
    with quiet.connect() as sock:
        sock.sendall(get("/"))
        assert HttpReader(sock).read_response().header("server") is None


def test_request_carries_client_and_scheme(serve: Serve) -> None:
    async def whoami(req: Any) -> Response:
        host, port = req.client
        return PlainTextResponse(f"{req.scheme} {host} {port}")

    server = serve(whoami)
    with server.connect() as sock:
        sock.sendall(get("/"))
        body = HttpReader(sock).read_response().body.decode()
        assert body == f"http 127.0.0.1 {sock.getsockname()[1]}"


def test_streaming_response_may_read_the_request_body(serve: Serve) -> None:
    async def upper(req: Any) -> Response:
        async def transformed() -> Any:
            reader = req.body_reader
            while True:
                chunk = reader.read_nowait()
                if chunk is None:
                    await reader.wait()
                elif not chunk:
                    return
                else:
                    yield chunk.upper()

        return StreamingResponse(transformed())

    server = serve(upper)
    with server.connect() as sock:
        reader = HttpReader(sock)
        sock.sendall(request("POST", "/up", b"a" * 50_000))
        response = reader.read_response()
        assert response.body == b"A" * 50_000
        assert response.header("connection") is None
        sock.sendall(request("POST", "/up", b"again"))
        assert reader.read_response().body == b"AGAIN"


def test_stalled_body_is_closed_by_the_body_timeout(serve: Serve) -> None:
    outcome: list[str] = []

    async def reading(req: Any) -> Response:
        try:
            await read_body(req)
        except ClientDisconnect:
            outcome.append("disconnect")
            raise
        return PlainTextResponse("complete")

    server = serve(reading, body_timeout=0.3)
    with server.connect() as sock:
        started = time.monotonic()
        sock.sendall(request("POST", "/stall", b"x" * 100)[:-60])
        reader = HttpReader(sock)
        response = reader.read_response()
        assert response.status == 408
        assert response.header("connection") == "close"
        assert reader.wait_closed()
        assert time.monotonic() - started < 2.0
    assert outcome == ["disconnect"]


def test_deep_pipeline_beyond_the_in_flight_limit(serve: Serve) -> None:
    async def slow(req: Any) -> Response:
        await asyncio.sleep(0.002)
        return PlainTextResponse(req.path)

    server = serve(slow, max_pipeline=2)
    with server.connect() as sock:
        sock.sendall(b"".join(get(f"/{index}") for index in range(12)))
        reader = HttpReader(sock)
        bodies = [reader.read_response().body for _ in range(12)]
    assert bodies == [f"/{index}".encode() for index in range(12)]
