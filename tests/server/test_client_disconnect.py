"""A request body that never arrives whole is the client's doing, not a server error.

A handler reading the body of a request whose client went away, or whose
chunked framing the parser refused, gets ``ClientDisconnect``. Left to the
App, that must not be logged as an unhandled exception with a traceback (an
operator's error log would fill with lines about clients), and the client
that is still there gets the parser's 400.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest

from fastcore import App, PlainTextResponse, Request
from fastcore.testing import LiveServer


def uploading_app(seen: list[str]) -> App:
    app = App(security=False)

    @app.post("/upload")
    async def upload(request: Request) -> PlainTextResponse:
        seen.append("reading")
        body = await request.body()
        seen.append("read")
        return PlainTextResponse(f"{len(body)} bytes")

    return app


def read_until_close(sock: socket.socket, seconds: float = 5.0) -> bytes:
    sock.settimeout(seconds)
    data = b""
    while True:
        piece = sock.recv(65536)
        if not piece:
            return data
        data += piece


def wait_until_reading(seen: list[str]) -> None:
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)


def server_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_malformed_chunk_mid_body_is_a_400_not_a_logged_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG), LiveServer(uploading_app(seen)) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(
                b"POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nhello\r\n"
            )
            wait_until_reading(seen)
            assert seen == ["reading"]
            sock.sendall(b"zz\r\nnot a chunk size\r\n")
            answer = read_until_close(sock)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert seen == ["reading"]
    assert server_errors(caplog) == []


def test_a_client_gone_mid_body_is_not_a_logged_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG), LiveServer(uploading_app(seen)) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(
                b"POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n" + b"x" * 10
            )
            wait_until_reading(seen)
        # Give the server a moment to see the close and the handler to end.
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", server.port)) as other:
            other.sendall(
                b"POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n"
                b"Connection: close\r\n\r\nok"
            )
            assert read_until_close(other).startswith(b"HTTP/1.1 200 ")
    assert seen[0] == "reading" and "read" not in seen[:1]
    assert server_errors(caplog) == []
