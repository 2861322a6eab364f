"""Bodies of known size streamed after their Content-Length, and files changing while served."""

from __future__ import annotations

import http.client
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fastcore import App
from fastcore.responses import StreamingResponse
from fastcore.testing import LiveServer


def lengths_app() -> App:
    app = App(security=False)

    async def pieces(count: int) -> AsyncIterator[bytes]:
        for _ in range(count):
            yield b"x" * 1000

    @app.get("/exact")
    async def exact() -> StreamingResponse:
        return StreamingResponse(pieces(5), media_type="text/plain", content_length=5000)

    @app.get("/short")
    async def short() -> StreamingResponse:
        return StreamingResponse(pieces(3), media_type="text/plain", content_length=5000)

    @app.get("/long")
    async def long() -> StreamingResponse:
        return StreamingResponse(pieces(9), media_type="text/plain", content_length=5000)

    return app


def raw_exchange(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_a_declared_length_replaces_chunked_framing() -> None:
    with LiveServer(lengths_app()) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        for _ in range(2):  # the connection is kept alive between them
            connection.request("GET", "/exact")
            response = connection.getresponse()
            assert response.getheader("content-length") == "5000"
            assert response.getheader("transfer-encoding") is None
            assert response.read() == b"x" * 5000
        connection.close()
        # HTTP/1.0 gets the length too, and may keep the connection.
        reply = raw_exchange(server.url, b"GET /exact HTTP/1.0\r\nHost: t\r\n\r\n")
        head, _, body = reply.partition(b"\r\n\r\n")
        assert b"content-length: 5000" in head.lower()
        assert body == b"x" * 5000


@pytest.mark.parametrize(("path", "sent"), [("/short", 3000), ("/long", 5000)])
def test_a_body_off_its_declared_length_cuts_the_connection(path: str, sent: int) -> None:
    with LiveServer(lengths_app()) as server:
        reply = raw_exchange(
            server.url,
            f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\nGET /exact HTTP/1.1\r\n"
            "Host: t\r\n\r\n".encode(),
        )
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"content-length: 5000" in head.lower()
    # Short: cut before the promised end. Long: the promised bytes, then cut,
    # so the excess is never read as the next (pipelined) response.
    assert body == b"x" * sent
    assert b"HTTP/1.1 200" not in body


def test_a_file_truncated_while_served_cuts_the_connection(tmp_path: Path) -> None:
    size = 48 * 1024 * 1024
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle:
        handle.truncate(size)
    app = App(security=False)
    app.static("/static", tmp_path)
    with LiveServer(app) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/static/big.bin")
        response = connection.getresponse()
        assert response.getheader("content-length") == str(size)
        response.read(1)
        os.truncate(path, 1024 * 1024)
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        connection.close()


def test_a_file_replaced_while_served_is_sent_as_it_was(tmp_path: Path) -> None:
    size = 16 * 1024 * 1024
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * size)
    app = App(security=False)
    app.static("/static", tmp_path)
    with LiveServer(app) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/static/big.bin")
        response = connection.getresponse()
        first = response.read(1)
        replacement = tmp_path / "new.bin"
        replacement.write_bytes(b"b" * 100)
        os.replace(replacement, path)  # how deploys swap files
        assert first + response.read() == b"a" * size
        connection.close()


def test_static_files_under_uvicorn_keep_their_length_and_ranges(tmp_path: Path) -> None:
    from tests.staticfiles.support import fetch
    from tests.test_asgi import serve_with_uvicorn

    data = bytes(range(256)) * 4096 * 6  # 6 MiB: streamed
    (tmp_path / "big.bin").write_bytes(data)
    app = App(security=False)
    app.static("/static", tmp_path)
    with serve_with_uvicorn(app) as port:
        url = f"http://127.0.0.1:{port}"
        whole = fetch(url, "/static/big.bin")
        assert whole.header("content-length") == str(len(data))
        assert whole.body == data
        ranged = fetch(url, "/static/big.bin", headers={"range": "bytes=100-199"})
        assert (ranged.status, ranged.body) == (206, data[100:200])
        assert fetch(url, "/static/../big.bin").status == 404
