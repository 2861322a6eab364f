"""Fuzz the HTTP/1.1 request parser with arbitrary byte streams split at random points.

Input: byte 0 is a control byte, the rest is the stream. Bit 0 of the control
byte sets small limits, bit 1 also feeds the stream one byte at a time, and
the whole byte seeds the sizes of the reads the stream is cut into. The seeds
(``corpus/http_parser``) cover pipelining, chunked bodies with extensions and
trailers, upgrades and the limits.

Checked on every input:

- only :class:`~fastcore.exceptions.ParserError` escapes, with a documented
  status, and a dead parser raises the same error again;
- events follow ``HEAD BODY* END``; a body chunk is never empty; a body is
  exactly its Content-Length, never past ``max_body``; limits hold on the
  request line and the header count;
- the requests, and the refusal, are the same whether the stream comes whole,
  in the chosen pieces or byte by byte.
"""

from __future__ import annotations

import random
from typing import Any

from tests.fuzz._support import instrumented, main

with instrumented():
    from fastcore._speedups.http_parser import BODY, END, HEAD, NEED_DATA, HttpRequestParser
    from fastcore.exceptions import ParserError

SMALL_LIMITS = {"max_request_line": 48, "max_header_bytes": 120, "max_headers": 4, "max_body": 64}
DEFAULT_LIMITS = {
    "max_request_line": 8192,
    "max_header_bytes": 65536,
    "max_headers": 100,
    "max_body": 16 * 1024 * 1024,
}
STATUSES = {400, 413, 414, 431, 505}
# Guards against a parser that stops consuming: no stream of n bytes yields
# more than a few events per byte.
EVENTS_PER_BYTE = 4


def _check_head(parser: HttpRequestParser, limits: dict[str, int]) -> tuple[Any, ...]:
    head = parser.head
    assert head is not None
    assert head.method and head.target
    assert head.version_minor in (0, 1)
    request_line = f"{head.method} {head.target} HTTP/1.{head.version_minor}"
    assert len(request_line) <= limits["max_request_line"], request_line
    headers = head.headers
    assert len(headers) <= limits["max_headers"]
    for name, value in headers:
        assert name and name == name.lower() and b":" not in name, name
        assert value == value.strip(b" \t"), value
        assert b"\r" not in value and b"\n" not in value and b"\0" not in value, value
        assert head.first_header(name) == next(v for n, v in headers if n == name)
    assert head.content_length >= -1
    assert not (head.chunked and head.content_length >= 0)
    assert head.content_length <= limits["max_body"]
    return (
        head.method,
        head.target,
        head.path,
        head.query_string,
        head.version_minor,
        tuple(headers),
        head.host,
        head.content_length,
        head.chunked,
        head.keep_alive,
        head.expect_continue,
        head.upgrade,
    )


def outcome(pieces: list[bytes], limits: dict[str, int]) -> tuple[list[Any], Any]:
    """Parse the pieces: the requests (and pauses) seen, then the refusal, if any."""
    parser = HttpRequestParser(**limits)
    seen: list[Any] = []
    budget = EVENTS_PER_BYTE * sum(len(piece) for piece in pieces) + 8
    head: tuple[Any, ...] | None = None
    body = b""
    try:
        for piece in pieces:
            parser.feed(piece)
            while True:
                budget -= 1
                assert budget > 0, "the parser does not make progress"
                event = parser.next_event()
                if event == NEED_DATA:
                    if not parser.paused:
                        break
                    seen.append("paused")
                    parser.resume()
                elif event == HEAD:
                    assert head is None, "HEAD twice without END"
                    head, body = _check_head(parser, limits), b""
                elif event == BODY:
                    assert head is not None, "BODY before HEAD"
                    chunk = parser.body_chunk
                    assert type(chunk) is bytes and chunk, chunk
                    body += chunk
                    assert len(body) <= limits["max_body"]
                else:
                    assert event == END, event
                    assert head is not None, "END before HEAD"
                    assert parser.body_chunk is None
                    content_length, chunked = head[7], head[8]
                    if not chunked:
                        assert len(body) == max(content_length, 0), (content_length, body)
                    seen.append((head, body))
                    head = None
    except ParserError as exc:
        assert exc.status_code in STATUSES, exc.status_code
        parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        try:
            parser.next_event()
        except ParserError as again:
            assert again.args == exc.args, (again.args, exc.args)
        else:
            raise AssertionError("a dead parser parsed again") from exc
        return seen, exc.args
    return seen, None


def _sizes(control: int) -> tuple[int, ...]:
    rng = random.Random(control)
    return tuple(rng.choice((1, 2, 3, 5, 8, 13, 64, 1000)) for _ in range(256))


# PERF: the read sizes of each control byte, drawn once (a Random per input
# was a tenth of an execution, and a 2.5 KB allocation under ASan); a stream
# needing more than 256 reads starts the sizes over.
SIZES = [_sizes(control) for control in range(256)]


def cut(stream: bytes, control: int) -> list[bytes]:
    sizes = SIZES[control]
    pieces = []
    position = 0
    index = 0
    while position < len(stream):
        size = sizes[index & 255]
        index += 1
        pieces.append(stream[position : position + size])
        position += size
    return pieces


def one_input(data: bytes) -> None:
    if not data:
        return
    control, stream = data[0], data[1:]
    limits = SMALL_LIMITS if control & 1 else DEFAULT_LIMITS
    whole = outcome([stream], limits)
    pieces = outcome(cut(stream, control), limits)
    assert pieces == whole, (pieces, whole)
    if control & 2:
        single = outcome([stream[i : i + 1] for i in range(len(stream))], limits)
        assert single == whole, (single, whole)


if __name__ == "__main__":
    main(one_input)
