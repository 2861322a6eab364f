"""permessage-deflate (RFC 7692) on the bundled server: negotiation and its parameters,
compressed messages both ways with the websockets library as the peer (with and
without compression), and limits on the decompressed size (zip bombs), over real sockets."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterator

import pytest

from fastcore import App
from fastcore._speedups import websocket_frames as wf
from fastcore._speedups.websocket_frames import negotiate_deflate
from fastcore.realtime import WebSocket
from fastcore.server import ServerConfig
from fastcore.testing import LiveServer
from tests.realtime.test_websocket_server import KEY, RawClient, masked

websockets_client = pytest.importorskip("websockets.asyncio.client", reason="the websockets peer")
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory  # noqa: E402

OFFER = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"


def make_app() -> App:
    app = App(security=False)

    @app.websocket("/echo")
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        async for message in ws:
            if isinstance(message, bytes):
                await ws.send_bytes(message[::-1])
            else:
                await ws.send_text(f"echo: {message}")

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    config = ServerConfig(websocket_compression=True, websocket_max_message=64 * 1024)
    with LiveServer(make_app(), config=config) as live:
        yield live


@pytest.fixture(scope="module")
def plain_server() -> Iterator[LiveServer]:
    with LiveServer(make_app()) as live:  # compression off (the default)
        yield live


def run(coro: object) -> object:
    return asyncio.run(asyncio.wait_for(coro, 10))  # type: ignore[arg-type]


async def exchange(port: int, **options: object) -> list[object]:
    url = f"ws://127.0.0.1:{port}/echo"
    async with websockets_client.connect(url, max_size=2**20, **options) as ws:  # type: ignore[arg-type]
        replies: list[object] = [ws.response.headers.get("Sec-WebSocket-Extensions")]
        text = "compress me " * 2000  # 24 KB that deflates well
        for message in ["hello", text, "hello again", b"\x00\x01" * 3000]:
            await ws.send(message)
            replies.append(await ws.recv())
        await ws.send(["frag", "mented ", "é"])  # one message in three frames
        replies.append(await ws.recv())
        return replies


def expected(extension: str | None) -> list[object]:
    text = "compress me " * 2000
    return [
        extension,
        "echo: hello",
        f"echo: {text}",
        "echo: hello again",
        (b"\x00\x01" * 3000)[::-1],
        "echo: fragmented é",
    ]


def test_the_websockets_client_with_compression(server: LiveServer) -> None:
    assert run(exchange(server.port)) == expected("permessage-deflate")


def test_the_websockets_client_without_compression(server: LiveServer) -> None:
    assert run(exchange(server.port, compression=None)) == expected(None)


def test_compression_is_off_unless_the_server_allows_it(plain_server: LiveServer) -> None:
    assert run(exchange(plain_server.port)) == expected(None)


def test_context_takeover_and_window_parameters_are_negotiated(server: LiveServer) -> None:
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=True,
        client_no_context_takeover=True,
        server_max_window_bits=10,
        client_max_window_bits=9,
    )
    agreed = (
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10"
    )
    assert run(exchange(server.port, extensions=[factory], compression=None)) == expected(agreed)


@pytest.mark.parametrize(
    ("offer", "agreed"),
    [
        (b"permessage-deflate", "permessage-deflate"),
        (b"x-webkit-deflate-frame, permessage-deflate", "permessage-deflate"),
        # An offer with an unknown, repeated or invalid parameter is declined;
        # the next acceptable one is taken.
        (b"permessage-deflate; mystery, permessage-deflate", "permessage-deflate"),
        (b"permessage-deflate; server_no_context_takeover; server_no_context_takeover", None),
        (b"permessage-deflate; server_max_window_bits=16", None),
        (b"permessage-deflate; server_max_window_bits=09", None),
        (b"permessage-deflate; client_max_window_bits=7", None),
        (b"permessage-deflate; server_no_context_takeover=1", None),
        # zlib cannot deflate within 256 bytes: declined, not violated.
        (b"permessage-deflate; server_max_window_bits=8", None),
        (
            b'permessage-deflate; server_max_window_bits="12"',
            "permessage-deflate; server_max_window_bits=12",
        ),
    ],
)
def test_negotiation_follows_rfc_7692(offer: bytes, agreed: str | None) -> None:
    result = negotiate_deflate(offer)
    assert (result[0] if result else None) == agreed


def with_rsv1(frame: bytes) -> bytes:
    return bytes([frame[0] | 0x40]) + frame[1:]  # RSV1: a compressed message


def compressed(opcode: int, data: bytes, *, fin: bool = True) -> bytes:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = deflater.compress(data) + deflater.flush(zlib.Z_SYNC_FLUSH)
    return with_rsv1(masked(opcode, payload[:-4], fin=fin))


def test_raw_compressed_frames_are_inflated(server: LiveServer) -> None:
    with RawClient(server, "/echo", headers=OFFER) as client:
        assert b"Sec-WebSocket-Extensions: permessage-deflate\r\n" in client.head
        client.parser.enable_inflate()
        client.send(compressed(wf.OPCODE_TEXT, "zipped é".encode()))
        assert client.next() == (wf.TEXT, "echo: zipped é")


def test_a_zip_bomb_closes_with_1009(server: LiveServer) -> None:
    bomb = compressed(wf.OPCODE_BINARY, bytes(10 * 1024 * 1024))  # 10 MB of zeros
    assert len(bomb) < 64 * 1024  # under the limit on the wire
    with RawClient(server, "/echo", headers=OFFER) as client:
        client.send(bomb)
        assert client.close_code() == 1009


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        # RSV1 only on the first frame of a data message (RFC 7692 section 6.1).
        (bytes([0xC9, 0x80]) + KEY, 1002),  # a ping with RSV1
        (masked(wf.OPCODE_TEXT, b"x", fin=False) + bytes([0xC0, 0x80]) + KEY, 1002),
        (bytes([0xA1, 0x80]) + KEY, 1002),  # RSV2 stays reserved
        (compressed(wf.OPCODE_TEXT, b"\xff\xfe"), 1007),  # invalid UTF-8 once inflated
        (with_rsv1(masked(wf.OPCODE_TEXT, b"\xff\xff\xff")), 1007),  # not deflate data
    ],
    ids=["rsv1-ping", "rsv1-continuation", "rsv2", "utf8-after-inflate", "not-deflate-data"],
)
def test_compressed_protocol_violations(server: LiveServer, frames: bytes, code: int) -> None:
    with RawClient(server, "/echo", headers=OFFER) as client:
        client.send(frames)
        assert client.close_code() == code


def test_rsv1_without_negotiation_is_a_protocol_error(plain_server: LiveServer) -> None:
    with RawClient(plain_server, "/echo", headers=OFFER) as client:
        assert b"Sec-WebSocket-Extensions" not in client.head
        client.send(compressed(wf.OPCODE_TEXT, b"zipped"))
        assert client.close_code() == 1002
