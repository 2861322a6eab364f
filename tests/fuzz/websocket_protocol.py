"""Fuzz the server's WebSocket connection with client byte streams split at random points.

Input: the first four bytes as in ``websocket_frames`` (its seeds with bit 0
of byte 0 clear fit here too): byte 0 holds flags, bit 1 small limits
(``websocket_max_message`` 1 + 2 * byte 2, and a read high-water mark of 8
bytes, so reading pauses and resumes), bit 2 hands the first read over with
the handshake (``leftover``) and bit 3 makes the endpoint echo every
message it takes; byte 3 seeds the cut of the stream into reads. The
stream goes through ``WebSocketConnection.data_received`` (never while the
connection has paused reading, or after it closed), the endpoint taking the
queued messages after each read. Checked, against the ``reference``
decoder of ``websocket_frames``:

- ``data_received`` never raises;
- the endpoint takes exactly the reference's messages, in order, up to a
  close frame or a protocol error;
- what the server writes is the 101 response, then well-formed unmasked
  frames: a pong per ping with its payload (while open), the echoes, and
  at the end a close frame echoing the client's code (none for a close
  without one) or carrying the error's code; then nothing more, and the
  connection closes (or, after an error, shuts its side down);
- without a close or an error the connection stays open.
"""

from __future__ import annotations

from typing import Any

import uvloop

from tests.fuzz._support import instrumented, main
from tests.fuzz.websocket_frames import DEFAULT_LIMIT, _reads, reference

with instrumented():
    from fastcore._speedups.websocket_frames import (
        BINARY,
        CLOSE,
        NEED_DATA,
        PONG,
        TEXT,
        FrameParser,
    )
    from fastcore._speedups.websocket_protocol import WebSocketConnection
    from fastcore.server import ServerConfig

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
LOOP = uvloop.new_event_loop()
DEFAULT = ServerConfig()


class Transport:
    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self.eof = False
        self.reading = True
        self.written_after_end = False

    def write(self, data: bytes) -> None:
        if self.closed or self.eof:
            self.written_after_end = True
        self.data += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


def written_frames(data: bytes) -> list[tuple[Any, ...]]:
    """The server's frames after its 101 response, decoded as a client does."""
    head, _, frames = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n"), head
    parser = FrameParser(expect_masked=False, max_frame=1 << 30, max_message=1 << 30)
    parser.feed(frames)
    events: list[tuple[Any, ...]] = []
    while True:
        kind = parser.next_event()
        if kind == NEED_DATA:
            break
        if kind == CLOSE:
            events.append(("close", parser.close_code, parser.close_reason))
        else:
            name = {TEXT: "text", BINARY: "binary", PONG: "pong"}[kind]
            events.append((name, parser.message))
    assert parser.buffered == 0, "a partial frame written"
    return events


def one_input(data: bytes) -> None:
    if len(data) < 4:
        return
    flags, _, message_byte, seed = data[:4]
    stream = data[4:]
    if flags & 2:
        limit = 1 + 2 * message_byte
        config = ServerConfig(websocket_max_message=limit, websocket_read_high_water=8)
    else:
        limit, config = DEFAULT.websocket_max_message, DEFAULT
    assert limit <= DEFAULT_LIMIT
    reads = _reads(stream, seed)
    leftover = reads.pop(0) if flags & 4 and reads else b""
    echo = bool(flags & 8)
    transport = Transport()
    connection = WebSocketConnection(transport, leftover, key=KEY, loop=LOOP, config=config)
    taken: list[Any] = []
    echoed: list[Any] = []

    def endpoint() -> None:
        while True:
            try:
                message = connection.take()
            except Exception:  # WebSocketDisconnect: closed and nothing queued
                return
            if message is None:
                return
            taken.append(message)
            if echo and connection.state == 1:  # OPEN
                connection.send(message)
                echoed.append(message)

    try:
        connection.accept()
        endpoint()
        for piece in reads:
            if transport.closed or transport.eof:
                break  # the transport delivers nothing after close() (or after a failure)
            assert transport.reading, "data delivered while reading is paused"
            connection.data_received(piece)
            endpoint()
        check(stream, limit, transport, connection, taken, echoed)
    finally:
        connection.connection_lost(None)


def check(
    stream: bytes,
    limit: int,
    transport: Transport,
    connection: WebSocketConnection,
    taken: list[Any],
    echoed: list[Any],
) -> None:
    events, failure, _ = reference(stream, True, limit, limit)
    closing = next((event for event in events if event[0] == "close"), None)
    if closing is not None:
        events = events[: events.index(closing)]
        failure = None  # what follows a close frame is never read
    messages = [event[1] for event in events if event[0] in ("text", "binary")]
    assert taken == messages, (taken, messages)
    assert not transport.written_after_end, "a write after the close"
    frames = written_frames(bytes(transport.data))
    pongs = [frame[1] for frame in frames if frame[0] == "pong"]
    assert pongs == [event[1] for event in events if event[0] == "ping"], pongs
    sent = [frame[1] for frame in frames if frame[0] in ("text", "binary")]
    assert sent == echoed, (sent, echoed)
    closes = [frame for frame in frames if frame[0] == "close"]
    if closing is not None:
        assert transport.closed, "the connection stays open after the closing handshake"
        assert frames[-1] == ("close", closing[1], ""), (frames[-1], closing)
        assert connection.close_code == closing[1], connection.close_code
    elif failure is not None:
        assert transport.closed or transport.eof, "the connection stays open after an error"
        assert frames[-1][:2] == ("close", failure), (frames[-1], failure)
        assert connection.close_code == failure, (connection.close_code, failure)
    else:
        assert not closes and not transport.closed and not transport.eof, frames
        assert connection.state == 1, connection.state
    assert len(closes) <= 1, closes


if __name__ == "__main__":
    main(one_input)
