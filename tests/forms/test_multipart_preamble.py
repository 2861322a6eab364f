"""A multipart body's answer does not depend on where the server's reads end.

Found by tests/fuzz/form_parsers.py: bytes before the first delimiter line
(``\\nm\\x01--a--`` with boundary ``a``) were accepted as an empty form when
they arrived in one read and refused with 400 when a read ended inside them.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from fastcore import App, Request
from fastcore.testing import LiveServer


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    app = App()

    @app.post("/form")
    async def form(request: Request):
        return {"fields": len((await request.form()).multi_items())}

    with LiveServer(app) as live:
        yield live


def post_in_pieces(server: LiveServer, pieces: list[bytes]) -> bytes:
    body = b"".join(pieces)
    head = (
        "POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Content-Type: multipart/form-data; boundary=a\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(head + pieces[0])
        for piece in pieces[1:]:
            time.sleep(0.05)  # a read of its own on the server
            sock.sendall(piece)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    "pieces",
    [
        [b"\nm\x01--a--"],
        [b"\nm", b"\x01--a--"],
        [b"\nm\x01-", b"-a--"],
        [b"\n", b"m", b"\x01", b"--a--"],
    ],
)
def test_bytes_before_the_first_delimiter_get_one_answer_however_they_arrive(
    server: LiveServer, pieces: list[bytes]
) -> None:
    whole = post_in_pieces(server, [b"".join(pieces)])
    assert post_in_pieces(server, pieces) == whole


def test_a_well_formed_body_split_inside_its_first_delimiter_is_read(server: LiveServer) -> None:
    body = b'--a\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--a--\r\n'
    for cut in range(1, 8):
        assert post_in_pieces(server, [body[:cut], body[cut:]]) == b"HTTP/1.1 200 OK"
