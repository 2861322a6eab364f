"""Fuzz the compiled WebSocket frame parser against a plain Python decoder.

Input: byte 0 picks the side (bit 0 set: a client, which receives unmasked
frames; clear: a server, which receives masked ones) and the limits (bit 1
set: ``max_frame`` is 1 + byte 1 and ``max_message`` 1 + 2 * byte 2; clear:
the defaults); byte 3 seeds how the stream is cut into reads (0: one read,
255: byte by byte); the rest is the byte stream. Checked on every input:

- only WebSocketProtocolError escapes, with close code 1002, 1007 or 1009
  (RFC 6455 sections 5.2-5.5, 7.4.1 and 8.1); then the parser is dead;
- the events (text and binary messages reassembled from their fragments,
  pings, pongs, closes with their code and reason) and the error are those
  of ``reference()``, a small decoder written from the RFC, which also says
  when a rule is broken: a header's rules as soon as its first two bytes are
  in, a limit as soon as the length is, a text's UTF-8 fragment by fragment;
  so the result cannot depend on how the stream is cut;
- without an error, exactly the bytes of an incomplete last frame stay
  buffered.
"""

from __future__ import annotations

import codecs
import random
from typing import Any

from tests.fuzz._support import instrumented, main

with instrumented():
    from fastcore._speedups.websocket_frames import (
        BINARY,
        CLOSE,
        NEED_DATA,
        PING,
        PONG,
        TEXT,
        FrameParser,
    )
    from fastcore.exceptions import WebSocketProtocolError

DEFAULT_LIMIT = 1 << 20
CLOSE_CODES = {1002, 1007, 1009}
Event = tuple[Any, ...]


class Failed(Exception):
    """The reference's verdict: the peer broke the protocol (``code``)."""

    def __init__(self, code: int) -> None:
        self.code = code


def _sendable(code: int) -> bool:
    # RFC 6455 section 7.4 with the IANA registry: 1005, 1006, 1015 and the
    # unassigned codes are never sent.
    return code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999


def _utf8_prefix_ok(decoder: Any) -> bool:
    # Python's incremental decoder keeps a started sequence without checking
    # that it can still be completed (b"\xed\xa0", a surrogate, waits); the
    # RFC wants the connection failed as soon as the text cannot be valid.
    pending = decoder.getstate()[0]
    if not pending:
        return True
    lead = pending[0]
    need = (2 if lead < 0xE0 else 3 if lead < 0xF0 else 4) - len(pending)
    for byte in range(0x80, 0xC0):
        try:
            (pending + bytes([byte]) + b"\x80" * (need - 1)).decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def _header_rules(first: int, second: int, masked: bool, kind: int) -> None:
    # The rules the first two bytes of a frame must follow (all 1002).
    opcode = first & 0x0F
    if first & 0x70:
        raise Failed(1002)  # no extension, so no RSV bit (section 5.2)
    if opcode in (8, 9, 10):
        if not first & 0x80 or second & 0x7F > 125:
            raise Failed(1002)  # section 5.5
    elif opcode not in (0, 1, 2):
        raise Failed(1002)
    if bool(second & 0x80) != masked:
        raise Failed(1002)  # section 5.1
    if (opcode == 0 and not kind) or (opcode in (1, 2) and kind):
        raise Failed(1002)  # section 5.4


class _Message:
    """The data message being reassembled."""

    def __init__(self) -> None:
        self.kind = 0  # its opcode, 0 when none is open
        self.fragments: list[bytes] = []
        self.decoder: Any = None

    def add(self, opcode: int, fin: bool, payload: bytes) -> Event | None:
        if opcode:
            self.kind = opcode
            self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.fragments.append(payload)
        if self.kind == 1:
            try:
                self.decoder.decode(payload, final=fin)
            except UnicodeDecodeError:
                raise Failed(1007) from None
            if not _utf8_prefix_ok(self.decoder):
                raise Failed(1007)
        if not fin:
            return None
        data, kind = b"".join(self.fragments), self.kind
        self.kind, self.fragments = 0, []
        return ("text", data.decode()) if kind == 1 else ("binary", data)


def reference(
    stream: bytes, masked: bool, max_frame: int, max_message: int
) -> tuple[list[Event], int | None, int]:
    """Decode ``stream`` whole: the events, the close code of a failure, the bytes left."""
    events: list[Event] = []
    pos = 0
    message = _Message()
    try:
        while len(stream) - pos >= 2:
            first, second = stream[pos], stream[pos + 1]
            opcode = first & 0x0F
            _header_rules(first, second, masked, message.kind)
            extra = {126: 2, 127: 8}.get(second & 0x7F, 0)
            if len(stream) - pos < 2 + extra:
                break
            length = int.from_bytes(stream[pos + 2 : pos + 2 + extra]) if extra else second & 0x7F
            if length >> 63:
                raise Failed(1002)
            open_size = sum(map(len, message.fragments))
            if length > max_frame or (opcode < 8 and open_size + length > max_message):
                raise Failed(1009)
            start = pos + 2 + extra + (4 if masked else 0)
            if len(stream) - start < length:
                break
            payload = stream[start : start + length]
            if masked:
                key = stream[start - 4 : start]
                payload = bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))
            pos = start + length
            if opcode == 9:
                events.append(("ping", payload))
            elif opcode == 10:
                events.append(("pong", payload))
            elif opcode == 8:
                events.append(_close(payload))
            else:
                event = message.add(opcode, bool(first & 0x80), payload)
                if event is not None:
                    events.append(event)
    except Failed as failed:
        return events, failed.code, 0
    return events, None, len(stream) - pos


def _close(payload: bytes) -> Event:
    if not payload:
        return ("close", 1005, "")
    if len(payload) == 1:
        raise Failed(1002)
    code = int.from_bytes(payload[:2])
    if not _sendable(code):
        raise Failed(1002)
    try:
        return ("close", code, payload[2:].decode("utf-8"))
    except UnicodeDecodeError:
        raise Failed(1007) from None


def _event(parser: FrameParser, kind: int) -> Event:
    if kind == TEXT:
        assert isinstance(parser.message, str)
        return ("text", parser.message)
    if kind == CLOSE:
        return ("close", parser.close_code, parser.close_reason)
    assert isinstance(parser.message, bytes), parser.message
    return ({BINARY: "binary", PING: "ping", PONG: "pong"}[kind], parser.message)


def _sizes(seed: int) -> tuple[int, ...]:
    rng = random.Random(seed)
    return tuple(rng.choice((1, 2, 3, rng.randint(1, 16), rng.randint(1, 256))) for _ in range(512))


# PERF: the read sizes of each seed, drawn once (a Random per input cost more
# than the parse); a stream needing more than 512 reads starts them over.
SIZES = [_sizes(seed) for seed in range(256)]


def _reads(stream: bytes, seed: int) -> list[bytes]:
    if seed == 0:
        return [stream]
    if seed == 255:
        return [stream[i : i + 1] for i in range(len(stream))]
    sizes = SIZES[seed]
    reads, pos, index = [], 0, 0
    while pos < len(stream):
        size = sizes[index % 512]
        index += 1
        reads.append(stream[pos : pos + size])
        pos += size
    return reads


def parse(parser: FrameParser, reads: list[bytes]) -> tuple[list[Event], int | None]:
    """Feed the reads one by one, taking every event; the events and a failure's code."""
    events: list[Event] = []
    for data in reads:
        parser.feed(data)
        while True:
            try:
                kind = parser.next_event()
            except WebSocketProtocolError as exc:
                assert exc.code in CLOSE_CODES, exc.code
                try:
                    parser.next_event()
                except RuntimeError:
                    pass
                else:
                    raise AssertionError("a failed parser went on parsing")
                return events, exc.code
            if kind == NEED_DATA:
                break
            events.append(_event(parser, kind))
    return events, None


def one_input(data: bytes) -> None:
    if len(data) < 4:
        return
    flags, frame_byte, message_byte, seed = data[:4]
    stream = data[4:]
    masked = not flags & 1
    if flags & 2:
        max_frame, max_message = 1 + frame_byte, 1 + 2 * message_byte
    else:
        max_frame = max_message = DEFAULT_LIMIT
    parser = FrameParser(expect_masked=masked, max_frame=max_frame, max_message=max_message)
    events, code = parse(parser, _reads(stream, seed))
    expected, expected_code, left = reference(stream, masked, max_frame, max_message)
    assert (events, code) == (expected, expected_code), (events, code, expected, expected_code)
    if code is None:
        assert parser.buffered == left, (parser.buffered, left)


if __name__ == "__main__":
    main(one_input)
