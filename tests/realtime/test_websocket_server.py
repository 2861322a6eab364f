"""WebSockets on the bundled server, over real sockets: the websockets library as the
client, and raw frames for each RFC 6455 rule the server must enforce."""

from __future__ import annotations

import asyncio
import base64
import contextvars
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from fastcore import App, Request
from fastcore._speedups import websocket_frames as wf
from fastcore._speedups.websocket_frames import FrameParser, build_frame
from fastcore.exceptions import WebSocketDisconnect
from fastcore.realtime import WebSocket
from fastcore.server import ServerConfig
from fastcore.testing import LiveServer

websockets_client = pytest.importorskip("websockets.asyncio.client", reason="the websockets peer")
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

KEY = b"\x01\x02\x03\x04"
FINISHED: list[str] = []
VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def make_app() -> App:
    app = App(security=False)

    @app.get("/plain")
    async def plain() -> dict[str, str]:
        return {"plain": "http"}

    @app.websocket("/echo/{room}")
    async def echo(ws: WebSocket, room: str) -> None:
        await ws.accept(subprotocol="chat.v1" if "chat.v1" in ws.subprotocols else None)
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    await ws.send_bytes(message[::-1])
                elif message == "json":
                    await ws.send_json({"room": room})
                elif message.startswith("close:"):
                    await ws.close(4000, message[6:])
                else:
                    await ws.send_text(f"{room}: {message}")
        finally:
            FINISHED.append(room)

    @app.websocket("/typed/{number:int}")
    async def typed(ws: WebSocket, number: int, request: Request) -> None:
        await ws.accept(headers={"x-number-type": type(number).__name__})
        await ws.send_json({"number": number * 2, "path": request.path})
        data = await ws.receive_json()
        await ws.send_json(data)

    @app.websocket("/bad-headers")
    async def bad_headers(ws: WebSocket) -> None:
        refused = []
        for name, value in (
            ("x y", "v"),
            ("", "v"),
            ("x:y", "v"),
            ("x-a", "v\x00"),
            ("x-a", "\x7f"),
        ):
            try:
                await ws.accept(headers={name: value})
            except ValueError as exc:
                refused.append(str(exc))
        await ws.accept(headers={"x-ok": "a\tb"})
        await ws.send_json(refused)

    @app.websocket("/broken")
    async def broken(ws: WebSocket) -> None:
        await ws.accept()
        await ws.receive_text()
        raise RuntimeError("handler bug")

    add_task_routes(app)

    @app.websocket("/refuse")
    async def refuse(ws: WebSocket) -> None:
        return None  # never accepted: 403

    @app.websocket("/silent")
    async def silent(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await asyncio.sleep(30)  # reads nothing: flow control must stop the client
        finally:
            FINISHED.append("silent")

    return app


def add_task_routes(app: App) -> None:
    @app.websocket("/task")
    async def task_bound(ws: WebSocket) -> None:
        # The server may step the handler's Task as a message arrives: it must
        # still be that Task, in its context, and cancellation must lose nothing.
        VAR.set("in context")
        task = asyncio.current_task()
        await ws.accept()
        async for message in ws:
            await ws.send_text(f"{message} {asyncio.current_task() is task} {VAR.get()}")
            if message == "timeout":
                try:
                    await asyncio.wait_for(ws.receive(), 0.05)
                except TimeoutError:
                    await ws.send_text("timed out")

    @app.websocket("/other-task")
    async def other_task(ws: WebSocket) -> None:
        await ws.accept()

        async def reader() -> None:
            async for message in ws:
                await ws.send_text(f"reader: {message}")

        await asyncio.create_task(reader())


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    config = ServerConfig(
        websocket_max_message=64 * 1024,
        websocket_read_high_water=64 * 1024,
        websocket_ping_interval=0.3,
        websocket_ping_timeout=0.3,
        websocket_close_timeout=1.0,
    )
    with LiveServer(make_app(), config=config) as live:
        yield live


def ws_url(server: LiveServer, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def run(coro: object) -> object:
    return asyncio.run(asyncio.wait_for(coro, 10))  # type: ignore[arg-type]


# -- the websockets library as the peer -----------------------------------------


def test_echo_text_binary_json_and_subprotocol(server: LiveServer) -> None:
    async def talk() -> list[object]:
        async with websockets_client.connect(
            ws_url(server, "/echo/lobby"), subprotocols=["chat.v1"]
        ) as ws:
            await ws.send("hello")
            text = await ws.recv()
            await ws.send(b"\x00\x01\x02")
            binary = await ws.recv()
            await ws.send("json")
            document = await ws.recv()
            big = "é" * 20_000  # 40 KB of UTF-8: 16-bit... no, 64-bit length form
            await ws.send(big)
            echoed = await ws.recv()
            return [ws.subprotocol, text, binary, document, echoed == f"lobby: {big}"]

    assert run(talk()) == ["chat.v1", "lobby: hello", b"\x02\x01\x00", '{"room":"lobby"}', True]


def test_typed_path_params_request_and_accept_headers(server: LiveServer) -> None:
    async def talk() -> list[object]:
        async with websockets_client.connect(ws_url(server, "/typed/21")) as ws:
            first = await ws.recv()
            await ws.send('{"back": [1, 2]}')
            second = await ws.recv()
            return [ws.response.headers["x-number-type"], first, second]

    assert run(talk()) == ["int", '{"number":42,"path":"/typed/21"}', '{"back":[1,2]}']


def test_accept_refuses_invalid_response_headers(server: LiveServer) -> None:
    # SECURITY: the handshake's extra headers pass the response writer's check
    # (token names, no control bytes in values), so none reaches the wire.
    async def talk() -> tuple[str, str]:
        async with websockets_client.connect(ws_url(server, "/bad-headers")) as ws:
            return ws.response.headers["x-ok"], str(await ws.recv())

    accepted, refused = run(talk())
    assert accepted == "a\tb"
    assert refused.count("not a token") == 2 and refused.count("control character") == 2
    assert "name is empty" in refused


def test_a_path_param_that_fails_its_converter_is_404(server: LiveServer) -> None:
    with pytest.raises(InvalidStatus) as info:
        run(websockets_client.connect(ws_url(server, "/typed/abc")).__aenter__())
    assert info.value.response.status_code == 404


def test_close_code_and_reason_reach_the_client_and_the_handler_ends(server: LiveServer) -> None:
    async def talk() -> tuple[int | None, str | None]:
        async with websockets_client.connect(ws_url(server, "/echo/closing")) as ws:
            await ws.send("close:see you")
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            return info.value.rcvd.code, info.value.rcvd.reason  # type: ignore[union-attr]

    assert run(talk()) == (4000, "see you")
    deadline = time.monotonic() + 5
    while "closing" not in FINISHED and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "closing" in FINISHED


def test_a_client_that_goes_away_ends_the_handler_loop(server: LiveServer) -> None:
    async def talk() -> None:
        async with websockets_client.connect(ws_url(server, "/echo/leaving")) as ws:
            await ws.send("hi")
            await ws.recv()

    run(talk())
    deadline = time.monotonic() + 5
    while "leaving" not in FINISHED and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "leaving" in FINISHED


def test_a_handler_error_closes_with_1011_and_is_logged(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def talk() -> int | None:
        async with websockets_client.connect(ws_url(server, "/broken")) as ws:
            await ws.send("boom")
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            return info.value.rcvd.code  # type: ignore[union-attr]

    with caplog.at_level(logging.ERROR, logger="fastcore.realtime"):
        assert run(talk()) == 1011
        deadline = time.monotonic() + 5
        while "handler bug" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    assert "error in the WebSocket handler of /broken" in caplog.text
    assert "handler bug" in caplog.text


@pytest.mark.parametrize(("path", "status"), [("/refuse", 403), ("/nowhere", 404)])
def test_refused_and_unknown_websockets_answer_http(
    server: LiveServer, path: str, status: int
) -> None:
    with pytest.raises(InvalidStatus) as info:
        run(websockets_client.connect(ws_url(server, path)).__aenter__())
    assert info.value.response.status_code == status


def test_plain_http_still_works_beside_websockets(server: LiveServer) -> None:
    response = raw_request(server, b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 200 ")
    assert response.endswith(b'{"plain":"http"}')


# -- the Origin check (cross-site WebSocket hijacking) --------------------------


def origin_status(server: LiveServer, origin: str | None, cookie: bool) -> int:
    headers = {"Cookie": "session=abc"} if cookie else {}
    if origin is not None:
        headers["Origin"] = origin

    async def talk() -> int:
        try:
            async with websockets_client.connect(
                ws_url(server, "/echo/origin"), additional_headers=headers, origin=None
            ):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    return run(talk())  # type: ignore[return-value]


def test_a_cookie_carrying_handshake_from_a_foreign_origin_is_refused(server: LiveServer) -> None:
    host = server.url.removeprefix("http://")
    assert origin_status(server, "https://evil.example", cookie=True) == 403
    assert origin_status(server, "null", cookie=True) == 403
    assert origin_status(server, f"http://{host}", cookie=True) == 101
    assert origin_status(server, "https://evil.example", cookie=False) == 101
    assert origin_status(server, None, cookie=True) == 101


def test_allowed_origins_come_from_the_settings() -> None:
    app = make_app()
    app.settings.websocket_allowed_origins = ["https://app.example"]
    with LiveServer(app) as live:
        assert origin_status(live, "https://app.example", cookie=True) == 101
        assert origin_status(live, "https://evil.example", cookie=True) == 403


def test_the_allowed_hosts_setting_applies_to_websockets() -> None:
    app = make_app()
    app.settings.allowed_hosts = ["example.com"]
    with LiveServer(app) as live:
        refused = raw_request(live, handshake().replace(b"Host: localhost", b"Host: evil.test"))
        assert refused.startswith(b"HTTP/1.1 400 ")
        with socket.create_connection(("127.0.0.1", live.port), timeout=5) as sock:
            sock.sendall(handshake().replace(b"Host: localhost", b"Host: example.com"))
            assert sock.recv(12) == b"HTTP/1.1 101"


# -- raw handshakes and frames ---------------------------------------------------


def raw_request(server: LiveServer, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def handshake(
    path: str = "/echo/raw", version: bytes = b"13", key: bytes | None = None, headers: bytes = b""
) -> bytes:
    key = key if key is not None else base64.b64encode(os.urandom(16))
    return (
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: "
        + key
        + b"\r\n"
        + headers
        + b"Sec-WebSocket-Version: "
        + version
        + b"\r\n\r\n"
    )


def test_an_app_without_websocket_routes_answers_an_upgrade_as_plain_http() -> None:
    app = App(security=False)

    @app.get("/echo/raw")
    async def page() -> str:
        return "plain page"

    with LiveServer(app) as live:
        response = raw_request(live, handshake())  # the server closes after it
    assert response.startswith(b"HTTP/1.1 200 ")
    assert response.endswith(b"plain page")


def test_an_unsupported_version_answers_426_naming_13(server: LiveServer) -> None:
    response = raw_request(server, handshake(version=b"8"))
    assert response.startswith(b"HTTP/1.1 426 ")
    assert b"Sec-WebSocket-Version: 13\r\n" in response


@pytest.mark.parametrize("key", [b"", b"not base64!", base64.b64encode(b"15 bytes only!!")])
def test_an_invalid_key_answers_400(server: LiveServer, key: bytes) -> None:
    assert raw_request(server, handshake(key=key)).startswith(b"HTTP/1.1 400 ")


def test_a_handshake_with_a_body_answers_400(server: LiveServer) -> None:
    data = handshake().replace(b"\r\n\r\n", b"\r\nContent-Length: 2\r\n\r\nhi")
    assert raw_request(server, data).startswith(b"HTTP/1.1 400 ")


class RawClient:
    """A WebSocket client that sends any bytes and reads the server's frames."""

    def __init__(
        self, server: LiveServer, path: str = "/echo/raw", extra: bytes = b"", headers: bytes = b""
    ) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        self.sock.sendall(handshake(path, headers=headers) + extra)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            assert chunk, "the server closed during the handshake"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101 "), head
        self.head = head
        self.parser = FrameParser(expect_masked=False, max_frame=1 << 22, max_message=1 << 22)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def next(self) -> tuple[int, object]:
        """The next frame from the server, or (-1, None) when the connection ends."""
        while True:
            kind = self.parser.next_event()
            if kind == wf.CLOSE:
                return kind, (self.parser.close_code, self.parser.close_reason)
            if kind != wf.NEED_DATA:
                return kind, self.parser.message
            chunk = self.sock.recv(65536)
            if not chunk:
                return -1, None
            self.parser.feed(chunk)

    def close_code(self) -> int:
        """Read until the server's close frame and the end of the connection."""
        code = 0
        while True:
            kind, value = self.next()
            if kind == wf.CLOSE:
                code = value[0]  # type: ignore[index]
            if kind == -1:
                return code

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.sock.close()


def masked(opcode: int, payload: bytes | str, fin: bool = True) -> bytes:
    return build_frame(opcode, payload, fin, KEY)


def test_frames_sent_right_behind_the_handshake_are_read(server: LiveServer) -> None:
    with RawClient(server, extra=masked(wf.OPCODE_TEXT, "early")) as client:
        assert client.next() == (wf.TEXT, "raw: early")


def test_messages_reach_the_handler_in_its_task_and_context_in_order(server: LiveServer) -> None:
    with RawClient(server, path="/task") as client:
        # Three messages in one read, each handed to the waiting handler.
        client.send(b"".join(masked(wf.OPCODE_TEXT, text) for text in ("a", "b", "c")))
        assert [client.next() for _ in range(3)] == [
            (wf.TEXT, f"{text} True in context") for text in ("a", "b", "c")
        ]
        client.send(masked(wf.OPCODE_TEXT, "timeout"))
        assert client.next() == (wf.TEXT, "timeout True in context")
        assert client.next() == (wf.TEXT, "timed out")
        # The receive() that timed out was cancelled: the next message is not lost.
        client.send(masked(wf.OPCODE_TEXT, "after"))
        assert client.next() == (wf.TEXT, "after True in context")


def test_a_task_other_than_the_handler_can_receive(server: LiveServer) -> None:
    with RawClient(server, path="/other-task") as client:
        for text in ("x", "y"):
            client.send(masked(wf.OPCODE_TEXT, text))
            assert client.next() == (wf.TEXT, f"reader: {text}")


def test_ping_gets_a_pong_and_fragments_with_interleaved_ping_are_one_message(
    server: LiveServer,
) -> None:
    with RawClient(server) as client:
        client.send(masked(wf.OPCODE_PING, b"are you there"))
        assert client.next() == (wf.PONG, b"are you there")
        client.send(
            masked(wf.OPCODE_TEXT, "frag", fin=False)
            + masked(wf.OPCODE_PING, b"mid")
            + masked(wf.OPCODE_CONTINUATION, "ments")
        )
        assert client.next() == (wf.PONG, b"mid")
        assert client.next() == (wf.TEXT, "raw: fragments")


def test_the_client_close_is_echoed_and_the_server_closes_tcp(server: LiveServer) -> None:
    with RawClient(server) as client:
        client.send(wf.build_close(4321, "done", KEY))
        assert client.next() == (wf.CLOSE, (4321, ""))  # the code echoed
        assert client.next() == (-1, None)


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        (build_frame(wf.OPCODE_TEXT, "unmasked"), 1002),
        (bytes([0xC1, 0x80]) + KEY, 1002),  # RSV1 without an extension
        (bytes([0x83, 0x80]) + KEY, 1002),  # reserved opcode
        (masked(wf.OPCODE_CONTINUATION, "x"), 1002),
        (bytes([0x09, 0x80]) + KEY, 1002),  # fragmented ping
        (bytes([0x89, 0xFE, 0, 126]) + KEY + bytes(126), 1002),  # 126-byte ping
        (masked(wf.OPCODE_CLOSE, b"\x03\xed"), 1002),  # close code 1005 on the wire
        (masked(wf.OPCODE_CLOSE, b"\x03\xe7"), 1002),  # close code 999
        (masked(wf.OPCODE_CLOSE, b"\x03"), 1002),  # a one-byte close payload
        (masked(wf.OPCODE_TEXT, b"\xe2\x82", fin=False) + masked(0, b"\x28"), 1007),
        # Above websocket_max_message: refused from the header, before any payload.
        (bytes([0x82, 0xFF]) + (70_000).to_bytes(8, "big") + KEY, 1009),
        (bytes([0x82, 0xFF]) + (2**62).to_bytes(8, "big"), 1009),  # huge declared length
    ],
    ids=[
        "unmasked",
        "rsv1",
        "reserved-opcode",
        "continuation-without-start",
        "fragmented-ping",
        "long-ping",
        "close-code-1005",
        "close-code-999",
        "close-payload-one-byte",
        "utf8-split-across-fragments",
        "message-too-big",
        "huge-declared-length",
    ],
)
def test_each_protocol_violation_closes_with_its_code(
    server: LiveServer, frames: bytes, code: int
) -> None:
    with RawClient(server) as client:
        client.send(frames)
        assert client.close_code() == code


def test_an_idle_client_that_never_answers_pings_is_dropped(server: LiveServer) -> None:
    with RawClient(server) as client:
        started = time.monotonic()
        kind, _ = client.next()
        assert kind == wf.PING  # after websocket_ping_interval of silence
        assert client.next() == (-1, None)  # no answer within websocket_ping_timeout
        assert time.monotonic() - started < 4


def test_a_client_that_answers_pings_stays_connected(server: LiveServer) -> None:
    async def talk() -> str:
        async with websockets_client.connect(
            ws_url(server, "/echo/alive"), ping_interval=None
        ) as ws:
            await asyncio.sleep(1.2)  # four ping intervals; the library answers each ping
            await ws.send("still here")
            return await ws.recv()  # type: ignore[return-value]

    assert run(talk()) == "alive: still here"


def test_a_handler_that_does_not_read_stops_the_client(server: LiveServer) -> None:
    # websocket_read_high_water is 64 KiB: past it the server stops reading, so
    # the client's socket buffers fill and its sends block. Without flow
    # control the server would take all 64 MiB.
    with RawClient(server, path="/silent") as client:
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        client.sock.settimeout(0.5)
        frame = masked(wf.OPCODE_BINARY, bytes(32 * 1024))
        sent = 0
        # Sending stops: the socket buffers fill (a timeout), or the server
        # drops the stalled connection once its keepalive ping goes unanswered
        # (it reads nothing, so it cannot see the pong either).
        with pytest.raises((TimeoutError, ConnectionResetError, BrokenPipeError)):
            for _ in range(2048):  # 64 MiB at most
                client.sock.sendall(frame)
                sent += len(frame)
        assert 64 * 1024 <= sent < 16 * 1024 * 1024
    # The client went away: the handler's Task is cancelled, not left to sleep.
    deadline = time.monotonic() + 5
    while "silent" not in FINISHED and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "silent" in FINISHED


def test_a_ping_flood_from_a_client_that_does_not_read_stops_the_client(
    server: LiveServer,
) -> None:
    # SECURITY: each ping owes a pong; a client that never reads would fill
    # the server's write buffer with them. Once it is full the server stops
    # reading, so the flood blocks in the client's own socket instead.
    with RawClient(server) as client:
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        client.sock.settimeout(0.5)
        pings = masked(wf.OPCODE_PING, bytes(125)) * 256  # 256 pings of 125 bytes per send
        sent = 0
        with pytest.raises((TimeoutError, ConnectionResetError, BrokenPipeError)):
            for _ in range(1024):  # 32 MiB of pings at most
                client.sock.sendall(pings)
                sent += len(pings)
        assert sent < 16 * 1024 * 1024
    with RawClient(server) as other:  # the server still answers others
        other.send(masked(wf.OPCODE_TEXT, "after the flood"))
        assert other.next() == (wf.TEXT, "raw: after the flood")


def test_shutdown_closes_websockets_with_1001() -> None:
    started = threading.Event()

    async def talk(live: LiveServer) -> int | None:
        async with websockets_client.connect(ws_url(live, "/echo/bye")) as ws:
            await ws.send("hi")
            await ws.recv()
            started.set()
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            return info.value.rcvd.code if info.value.rcvd else None

    live = LiveServer(make_app())
    with live:
        result: list[object] = []
        thread = threading.Thread(target=lambda: result.append(run(talk(live))))
        thread.start()
        assert started.wait(5)
    thread.join(10)
    assert result == [1001]


def test_websocket_disconnect_is_what_receive_raises() -> None:
    assert issubclass(WebSocketDisconnect, Exception)
    assert WebSocketDisconnect(1001, "away").code == 1001
