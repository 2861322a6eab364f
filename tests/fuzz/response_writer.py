"""Fuzz the response writer with arbitrary statuses, header names and values.

Input: read with atheris's FuzzedDataProvider (the mode, the status, then the
headers and the body). Checked on every input:

- an invalid header is refused with ValueError where it enters (the
  constructor, the media type, ``raw_headers`` at serialization, the Server
  header): a name that is not an RFC 9110 token (empty, a space, a colon, any
  non-tchar), a value with a control byte other than HTAB (NUL, CR, LF...);
  so is a status outside 100-999; nothing else is refused;
- the output is a well-formed head: ``HTTP/1.1 NNN reason``, then
  ``name: value`` lines whose names are tokens and whose values hold no
  control byte but HTAB, the response's own headers in order, an empty line;
- framing is unambiguous: at most one Content-Length where a body follows,
  never together with Transfer-Encoding; a fixed body is exactly its Content-Length; 1xx, 204,
  304 and HEAD answers carry no body.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fuzz._support import instrumented, main

with instrumented():
    import atheris  # noqa: F401  (FuzzedDataProvider; imported lazily below when replaying)

    from fastcore._speedups.response_writer import (
        ResponseBase,
        ResponseWriter,
        encode_chunk,
    )

STATUS_LINE = re.compile(rb"HTTP/1\.1 [1-9][0-9]{2} [^\r\n\x00]*")
INTERESTING_NAMES = [
    "content-length",
    "Content-Length",
    "transfer-encoding",
    "Transfer-Encoding",
    "connection",
    "content-type",
    "set-cookie",
    "date",
    "server",
    "x-a",
]
WRITERS = {"fastcore": ResponseWriter(), "": ResponseWriter(None)}


class _Raw:
    """A response-like object (as the ASGI host builds) with raw bytes headers."""

    def __init__(self, status_code: int, raw_headers: list[Any], body: bytes | None) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.body = body


def _text(fdp: Any, size: int) -> str:
    if fdp.ConsumeBool():
        return str(fdp.PickValueInList(INTERESTING_NAMES))
    return str(fdp.ConsumeUnicodeNoSurrogates(size))


TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def valid_name(name: bytes) -> bool:
    """The reference: a field name is a non-empty token (RFC 9110 section 5.1)."""
    return bool(name) and all(byte in TCHAR for byte in name)


def valid_value(value: bytes) -> bool:
    """The reference: field-vchar, SP and HTAB only (RFC 9110 section 5.5)."""
    return all(byte == 9 or 0x20 <= byte <= 0x7E or byte >= 0x80 for byte in value)


def _latin1(text: str) -> bytes | None:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _bad_text_header(name: str, value: str) -> bool:
    raw_name, raw_value = _latin1(name.lower()), _latin1(value)
    if raw_name is None or raw_value is None:
        return True
    return not valid_name(raw_name) or not valid_value(raw_value)


def check_output(
    data: bytes,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    *,
    fixed: bool,
    head_request: bool,
) -> None:
    head, sep, sent = data.partition(b"\r\n\r\n")
    assert sep, data
    lines = head.split(b"\r\n")
    assert STATUS_LINE.fullmatch(lines[0]), lines[0]
    assert int(lines[0][9:12]) == status
    fields = []
    for line in lines[1:]:
        assert b"\r" not in line and b"\n" not in line, line
        name, colon, value = line.partition(b": ")
        assert colon, line
        assert valid_name(name) and valid_value(value), line
        fields.append((name, value))
    # The response's own headers come last, in order (framing ones may be dropped).
    framing = (b"content-length", b"transfer-encoding")
    own = [pair for pair in headers if pair[0].lower() not in framing]
    tail = [pair for pair in fields if pair in own]
    assert tail == own, (fields, headers)
    lengths = [value for name, value in fields if name.lower() == b"content-length"]
    codings = [value for name, value in fields if name.lower() == b"transfer-encoding"]
    bodiless = status < 200 or status in (204, 304) or head_request
    # NOTE: on a HEAD answer or a 304 the lengths the application states are
    # passed on as they are: no body follows, whatever they say.
    assert len(lengths) <= 1 or bodiless, fields
    assert not (lengths and codings), fields
    if bodiless or not fixed:
        assert sent == b"", sent
    if status < 200 or status == 204:
        assert not lengths and not codings, fields
    if fixed and not bodiless:
        assert lengths == [str(len(body)).encode()], (lengths, len(body))
        assert sent == body


def _fixed(fdp: Any, status: int, version_minor: int, keep: bool, head: bool) -> None:
    headers = [(_text(fdp, 12), _text(fdp, 24)) for _ in range(fdp.ConsumeIntInRange(0, 5))]
    media_type = fdp.ConsumeUnicodeNoSurrogates(16) if fdp.ConsumeBool() else None
    body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
    bad = any(_bad_text_header(n, v) for n, v in headers)
    if media_type and not any(n.lower() == "content-type" for n, _ in headers):
        # (the media type is used only when no header names the content type)
        bad = bad or _bad_text_header("content-type", media_type)
    try:
        response = ResponseBase(body, 200, headers, media_type)
    except ValueError:
        assert bad, (headers, media_type)
        return
    assert not bad, (headers, media_type)
    response.status_code = status
    writer = WRITERS["fastcore" if fdp.ConsumeBool() else ""]
    try:
        data = writer.serialize(response, version_minor, keep, head)
    except ValueError:
        assert not 100 <= status <= 999, status
        return
    assert 100 <= status <= 999, status
    raw = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
    if media_type and not any(n == b"content-type" for n, _ in raw):
        raw.append((b"content-type", _content_type(media_type)))
    check_output(data, status, raw, body, fixed=True, head_request=head)


def _content_type(media_type: str) -> bytes:
    if media_type.startswith("text/") and "charset=" not in media_type:
        media_type += "; charset=utf-8"
    return media_type.encode("latin-1")


def _raw(fdp: Any, status: int, version_minor: int, keep: bool, head: bool) -> None:
    count = fdp.ConsumeIntInRange(0, 5)
    headers = []
    for _ in range(count):
        if fdp.ConsumeBool():
            name = str(fdp.PickValueInList(INTERESTING_NAMES)).encode()
        else:
            name = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 12))
        headers.append((name, fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 24))))
    body = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
    stream = fdp.ConsumeBool()
    response = _Raw(status, headers, None if stream else body)
    writer = WRITERS["fastcore"]
    bad = not all(valid_name(n) and valid_value(v) for n, v in headers)
    bad = bad or not 100 <= status <= 999
    try:
        if stream:
            data = writer.serialize_stream_head(response, version_minor, keep, head)
        else:
            data = writer.serialize(response, version_minor, keep, head)
    except ValueError:
        assert bad, (status, headers)
        return
    assert not bad, (status, headers)
    check_output(data, status, headers, body, fixed=not stream, head_request=head)


def one_input(data: bytes) -> None:
    import atheris

    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 4)
    status = fdp.ConsumeIntInRange(100, 999) if fdp.ConsumeBool() else fdp.ConsumeInt(2)
    version_minor = fdp.ConsumeIntInRange(0, 1)
    keep, head = fdp.ConsumeBool(), fdp.ConsumeBool()
    if mode == 0:
        _fixed(fdp, status, version_minor, keep, head)
    elif mode == 1:
        _raw(fdp, status, version_minor, keep, head)
    elif mode == 2:
        detail = fdp.ConsumeUnicodeNoSurrogates(64)
        try:
            out = WRITERS["fastcore"].error(status, detail, keep)
        except ValueError:
            assert not 100 <= status <= 999, status
            return
        check_output(out, status, [], detail.encode(), fixed=True, head_request=False)
    elif mode == 3:
        server = fdp.ConsumeUnicodeNoSurrogates(32)
        encoded = _latin1(server)
        try:
            writer = ResponseWriter(server)
        except ValueError:  # (UnicodeEncodeError included)
            assert encoded is None or not valid_value(encoded), server
            return
        assert encoded is not None and valid_value(encoded), server
        out = writer.serialize(ResponseBase(b"x"), version_minor, keep, False)
        check_output(out, 200, [], b"x", fixed=True, head_request=False)
    else:
        chunk = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300))
        framed = encode_chunk(chunk)
        size, _, rest = framed.partition(b"\r\n")
        assert int(size, 16) == len(chunk) and rest == chunk + b"\r\n", framed


if __name__ == "__main__":
    main(one_input)
