"""Uploads over real sockets: streamed multipart bodies, spooling, 413 mid-stream."""

from __future__ import annotations

import hashlib
import http.client
import io
import socket
from collections.abc import Iterator

import pytest

from fastcore import App, Request
from fastcore.forms import form_limits
from fastcore.testing import LiveServer
from fastcore.uploads import UploadFile
from tests.forms.multipart import encode_multipart


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    app = App()

    @app.post("/upload")
    @form_limits(max_file_size=4_000_000, max_total_size=5_000_000)
    async def upload(request: Request):
        form = await request.form()
        file = form["file"]
        assert isinstance(file, UploadFile)
        digest = hashlib.sha256()
        while chunk := await file.read(65536):
            digest.update(chunk)
        return {"size": file.size, "sha256": digest.hexdigest(), "on_disk": not file.in_memory}

    with LiveServer(app) as live:
        yield live


def post(server: LiveServer, body: bytes, headers: dict[str, str], chunked: bool = False):
    """POST over a raw socket; a server may answer (413) and close before the body is sent."""
    head = "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        pieces = [body[i : i + 100_000] for i in range(0, len(body), 100_000)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    else:
        head += f"Content-Length: {len(body)}\r\n\r\n"
        payload = body
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        try:
            sock.sendall(head.encode() + payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the answer came early; read it below
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    response = http.client.HTTPResponse(FakeSocket(received))
    response.begin()
    return response.status, response.read()


class FakeSocket:
    """Hands bytes already received to http.client's response parser."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self.data)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_large_upload_streams_to_disk_intact(server: LiveServer, chunked: bool) -> None:
    content = bytes(range(256)) * 12_000  # ~3 MB
    body, headers = encode_multipart(files=[("file", "data.bin", content, "x/y")])
    status, raw = post(server, body, headers, chunked=chunked)
    assert status == 200, raw
    assert raw == (
        b'{"size":%d,"sha256":"%s","on_disk":true}'
        % (len(content), hashlib.sha256(content).hexdigest().encode())
    )


@pytest.mark.parametrize("chunked", [False, True])
def test_a_huge_upload_is_refused_with_413(server: LiveServer, chunked: bool) -> None:
    body, headers = encode_multipart(files=[("file", "big.bin", b"\0" * 4_500_000, "x/y")])
    status, raw = post(server, body, headers, chunked=chunked)
    assert status == 413 and b"larger than 4000000 bytes" in raw
    two = [("file", "a.bin", b"\0" * 3_000_000, "x/y"), ("file", "b.bin", b"\0" * 3_000_000, "x/y")]
    body, headers = encode_multipart(files=two)
    status, raw = post(server, body, headers, chunked=chunked)
    assert status == 413 and b"larger than 5000000 bytes" in raw


def test_a_broken_boundary_over_a_socket_is_400(server: LiveServer) -> None:
    body, _ = encode_multipart(fields=[("a", "b")], boundary="one")
    status, raw = post(server, body, {"content-type": "multipart/form-data; boundary=two"})
    assert status == 400 and b"Malformed multipart body" in raw


def test_uploads_under_uvicorn_are_parsed_and_closed_after_the_request() -> None:
    pytest.importorskip("uvicorn", reason="uvicorn is a test dependency (ASGI interop)")
    from tests.test_asgi import serve_with_uvicorn

    app = App()
    kept: list[UploadFile] = []

    @app.post("/upload")
    async def upload(request: Request):
        file = (await request.form())["file"]
        assert isinstance(file, UploadFile)
        kept.append(file)
        return {"size": file.size, "name": file.filename}

    content = b"y" * 2_000_000  # past the in-memory spool: a real temporary file
    body, headers = encode_multipart(files=[("file", "..\\up.bin", content, "x/y")])
    with serve_with_uvicorn(app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/upload", body=body, headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        assert response.read() == b'{"size":2000000,"name":"up.bin"}'
        connection.close()
    assert kept and kept[0].file.closed
