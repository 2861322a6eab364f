"""The compiled response writer: one buffer per response, framing rules, safety."""

from __future__ import annotations

import email.utils
import re

import pytest

from fastcore._speedups import response_writer
from fastcore._speedups.response_writer import (
    BodyFraming,
    ResponseWriter,
    encode_chunk,
    refresh_date,
    stream_framing,
)
from fastcore.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

DATE = re.compile(rb"date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n")


def split(data: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n"), body


def test_the_compiled_kernel_is_in_use() -> None:
    assert ResponseWriter.__module__ == "fastcore._speedups.response_writer"
    assert response_writer.__file__.endswith(".so")


def test_serialize_a_json_response() -> None:
    data = ResponseWriter().serialize(JSONResponse({"hello": "world"}), 1, True, False)
    lines, body = split(data)
    assert lines[0] == b"HTTP/1.1 200 OK"
    assert DATE.fullmatch(lines[1] + b"\r\n")
    assert lines[2:] == [
        b"server: fastcore",
        b"content-length: 17",
        b"content-type: application/json",
    ]
    assert body == b'{"hello":"world"}'


@pytest.mark.parametrize("size", [0, 1, 9, 10, 99, 100, 12345, 1_000_000])
def test_content_length_digits(size: int) -> None:
    data = ResponseWriter().serialize(Response(b"x" * size), 1, True, False)
    lines, body = split(data)
    assert f"content-length: {size}".encode() in lines
    assert len(body) == size


@pytest.mark.parametrize(
    ("version_minor", "keep_alive", "expected"),
    [
        (1, True, None),
        (1, False, b"connection: close"),
        (0, True, b"connection: keep-alive"),
        (0, False, b"connection: close"),
    ],
)
def test_connection_header(version_minor: int, keep_alive: bool, expected: bytes | None) -> None:
    lines, _ = split(ResponseWriter().serialize(Response(b"ok"), version_minor, keep_alive, False))
    connection = [line for line in lines if line.startswith(b"connection:")]
    assert connection == ([expected] if expected else [])


def test_head_keeps_the_length_but_not_the_body() -> None:
    data = ResponseWriter().serialize(PlainTextResponse("hello"), 1, True, True)
    lines, body = split(data)
    assert b"content-length: 5" in lines
    assert body == b""


def test_head_keeps_a_length_stated_by_the_response() -> None:
    response = Response(b"", headers={"content-length": "1234"})
    lines, _ = split(ResponseWriter().serialize(response, 1, True, True))
    assert [line for line in lines if line.startswith(b"content-length")] == [
        b"content-length: 1234"
    ]


# Found by tests/fuzz/response_writer.py (corpus: crash-duplicate-content-length).
@pytest.mark.parametrize(
    "headers",
    [
        {"content-length": "5"},
        [("Content-Length", "5"), ("content-length", "7")],
        {"transfer-encoding": "chunked"},
        {"Transfer-Encoding": "gzip, chunked", "content-length": "2"},
    ],
)
def test_stated_framing_headers_never_reach_the_wire_beside_the_writers(
    headers: dict[str, str] | list[tuple[str, str]],
) -> None:
    # Two Content-Lengths, or one with Transfer-Encoding, let a proxy and the
    # client split the stream differently (response desync).
    writer = ResponseWriter()
    response = Response(b"hi", headers=headers)
    lines, body = split(writer.serialize(response, 1, True, False))
    framing = [line for line in lines if line.startswith((b"content-length", b"transfer-enc"))]
    assert framing == [b"content-length: 2"]
    assert body == b"hi"
    lines, _ = split(writer.serialize_stream_head(response, 1, True, False))
    framing = [line for line in lines if line.startswith((b"content-length", b"transfer-enc"))]
    assert framing == [b"transfer-encoding: chunked"]
    for head_request in (False, True):
        response = Response(b"", 204, headers=headers)
        lines, _ = split(writer.serialize(response, 1, True, head_request))
        assert not any(line.startswith((b"content-length", b"transfer-enc")) for line in lines)


def test_a_304_keeps_the_length_it_states() -> None:
    response = Response(b"", 304, headers={"content-length": "1234"})
    lines, body = split(ResponseWriter().serialize(response, 1, True, False))
    assert [line for line in lines if line.startswith(b"content-length")] == [
        b"content-length: 1234"
    ]
    assert body == b""


@pytest.mark.parametrize("status", [101, 103, 204, 304])
def test_bodiless_statuses_have_no_length_and_no_body(status: int) -> None:
    response = Response(b"ignored", status_code=status)
    lines, body = split(ResponseWriter().serialize(response, 1, True, False))
    assert not any(line.startswith(b"content-length") for line in lines)
    assert body == b""


def test_unregistered_status_gets_an_empty_reason() -> None:
    data = ResponseWriter().serialize(Response(b"", status_code=599), 1, True, False)
    assert data.startswith(b"HTTP/1.1 599 \r\n")


@pytest.mark.parametrize("status", [0, 99, 1000, -1])
def test_invalid_status_is_refused(status: int) -> None:
    response = Response(b"")
    response.status_code = status
    with pytest.raises(ValueError):
        ResponseWriter().serialize(response, 1, True, False)


@pytest.mark.parametrize(
    "header",
    [(b"x-evil", b"a\r\nset-cookie: x=1"), (b"x-evil", b"a\nb"), (b"x-evil\r\nx", b"v")],
)
def test_line_breaks_in_headers_are_refused(header: tuple[bytes, bytes]) -> None:
    response = Response(b"")
    response.raw_headers.append(header)
    with pytest.raises(ValueError, match="line break"):
        ResponseWriter().serialize(response, 1, True, False)


# RFC 9110 section 5.1: a field name is a token (tchar = "!#$%&'*+-.^_`|~",
# digits, letters); section 5.5: a value is VCHAR, obs-text, SP and HTAB only.
BAD_NAMES = [
    b"",
    b"x y",
    b"x:y",
    b":path",
    b"x\x00",
    b"x\ty",
    b"x\x7f",
    b"caf\xe9",
    b"x(y)",
    b'x"',
    b"x/y",
    b"x@y",
    b"x,y",
    b"x;y",
    b"x=y",
    b"x{y}",
    b"x[y]",
    b"x\\y",
]
BAD_VALUES = [b"a\x00b", b"\x01", b"a\x0bb", b"a\x0cb", b"a\x1fb", b"a\x7fb", b"\x00"]
GOOD_NAMES = [b"x", b"X-Custom_1.2", b"!#$%&'*+-.^_`|~", b"0"]
GOOD_VALUES = [b"", b"a\tb", b"a b", b"caf\xe9", b"\x80\xff", b'"quoted", (x)']


@pytest.mark.parametrize("name", BAD_NAMES)
def test_header_names_must_be_tokens(name: bytes) -> None:
    # SECURITY: a name with a space or a colon is read differently by
    # different recipients (a ": " inside one shifts the value), an empty one
    # makes a line starting with ": ".
    response = Response(b"")
    response.raw_headers.append((name, b"v"))
    with pytest.raises(ValueError, match="name"):
        ResponseWriter().serialize(response, 1, True, False)
    with pytest.raises(ValueError, match="name"):
        ResponseWriter().serialize_stream_head(response, 1, True, False)
    with pytest.raises(ValueError, match="name"):
        Response(b"", headers=[(name.decode("latin-1"), "v")])
    with pytest.raises(ValueError, match="name"):
        Response(b"").headers[name.decode("latin-1")] = "v"
    with pytest.raises(ValueError, match="name"):
        Response(b"").headers.append(name.decode("latin-1"), "v")


@pytest.mark.parametrize("value", BAD_VALUES)
def test_header_values_have_no_control_bytes(value: bytes) -> None:
    # SECURITY: a NUL ends the line for some recipients, other controls are
    # stripped or refused by some and not others (RFC 9110 section 5.5).
    response = Response(b"")
    response.raw_headers.append((b"x-evil", value))
    with pytest.raises(ValueError, match="control"):
        ResponseWriter().serialize(response, 1, True, False)
    with pytest.raises(ValueError, match="control"):
        ResponseWriter().serialize_stream_head(response, 1, True, False)
    with pytest.raises(ValueError, match="control"):
        Response(b"", headers={"x-evil": value.decode("latin-1")})
    with pytest.raises(ValueError, match="control"):
        Response(b"").headers["x-evil"] = value.decode("latin-1")
    with pytest.raises(ValueError, match="control"):
        Response(b"").headers.append("x-evil", value.decode("latin-1"))
    with pytest.raises(ValueError, match="control"):
        Response(b"", media_type="text/plain" + value.decode("latin-1"))
    with pytest.raises(ValueError, match="control"):
        ResponseWriter("edge" + value.decode("latin-1"))


@pytest.mark.parametrize("name", GOOD_NAMES)
@pytest.mark.parametrize("value", GOOD_VALUES)
def test_valid_headers_pass_unchanged(name: bytes, value: bytes) -> None:
    response = Response(b"")
    response.raw_headers.append((name, value))
    lines, _ = split(ResponseWriter().serialize(response, 1, True, False))
    assert name + b": " + value in lines
    built = Response(b"", headers=[(name.decode("latin-1"), value.decode("latin-1"))])
    assert (name.lower(), value) in built.raw_headers


def test_non_bytes_headers_are_refused() -> None:
    response = Response(b"")
    response.raw_headers.append(("x-str", "value"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ResponseWriter().serialize(response, 1, True, False)


def test_streaming_response_cannot_be_serialized_as_fixed() -> None:
    async def parts() -> object:
        yield b"x"

    response = StreamingResponse(parts())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ResponseWriter().serialize(response, 1, True, False)


def test_server_header_is_configurable() -> None:
    lines, _ = split(ResponseWriter("edge/2").serialize(Response(b""), 1, True, False))
    assert b"server: edge/2" in lines
    lines, _ = split(ResponseWriter(None).serialize(Response(b""), 1, True, False))
    assert not any(line.startswith(b"server") for line in lines)
    with pytest.raises(ValueError):
        ResponseWriter("evil\r\nx: y")


def test_stream_head_frames_by_version() -> None:
    writer = ResponseWriter()
    response = PlainTextResponse("")
    lines, _ = split(writer.serialize_stream_head(response, 1, True, False))
    assert b"transfer-encoding: chunked" in lines
    assert not any(line.startswith(b"content-length") for line in lines)
    lines, _ = split(writer.serialize_stream_head(response, 0, True, False))
    assert b"connection: close" in lines
    assert not any(line.startswith(b"transfer-encoding") for line in lines)
    lines, _ = split(writer.serialize_stream_head(response, 1, True, True))
    assert not any(line.startswith((b"transfer-encoding", b"content-length")) for line in lines)


def test_stream_framing() -> None:
    assert stream_framing(200, 1, False) == BodyFraming.FRAMING_CHUNKED
    assert stream_framing(200, 0, False) == BodyFraming.FRAMING_CLOSE
    assert stream_framing(200, 1, True) == BodyFraming.FRAMING_NONE
    assert stream_framing(204, 1, False) == BodyFraming.FRAMING_NONE
    assert stream_framing(304, 0, False) == BodyFraming.FRAMING_NONE


def test_error_response() -> None:
    data = ResponseWriter().error(400, "bad chunk size")
    lines, body = split(data)
    assert lines[0] == b"HTTP/1.1 400 Bad Request"
    assert b"connection: close" in lines
    assert b"content-type: text/plain; charset=utf-8" in lines
    assert body == b"bad chunk size"


@pytest.mark.parametrize("size", [1, 15, 16, 255, 256, 4096, 100_000])
def test_encode_chunk(size: int) -> None:
    data = b"c" * size
    assert encode_chunk(data) == b"%x\r\n%s\r\n" % (size, data)


def test_refresh_date_updates_the_cached_header() -> None:
    value = refresh_date()
    assert email.utils.parsedate_to_datetime(value) is not None
    data = ResponseWriter().serialize(Response(b""), 1, True, False)
    assert f"date: {value}\r\n".encode() in data
