"""Fuzz the urlencoded and multipart form parsers behind ``Request.form()``.

The parsers live in the core, ``fastcore.formparsers``.

Input: byte 0 picks the media type (urlencoded, multipart, or a raw
Content-Type taken from the input) and small limits, byte 1 seeds the read
sizes; the rest is the body (for multipart, up to the first ``\\n`` the
boundary). The body is streamed to the parser the way ``request.stream()``
does, without an event loop. Checked:

- the answer is a FormData or an HTTPException with status 400, 413 or 415,
  never another exception;
- the limits hold: field and file counts, field and file sizes;
- the same body gives the same form whole or cut into reads, or is refused
  both ways.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from typing import Any

from tests.fuzz._support import instrumented, main

with instrumented():
    from fastcore import formparsers as parsers
    from fastcore.datastructures import Headers
    from fastcore.exceptions import HTTPException
    from fastcore.uploads import UploadFile

# python-multipart logs every malformed byte it skips; fuzzing makes millions.
logging.getLogger("python_multipart").setLevel(logging.CRITICAL)
SMALL = parsers.FormLimits(
    max_total_size=300, max_field_size=16, max_file_size=32, max_fields=3, max_files=2
)
DEFAULT = parsers.FormLimits()
CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data; boundary=")


class FakeRequest:
    """What the parsers read of a request: headers, framing and the body stream."""

    def __init__(self, content_type: str, pieces: list[bytes], chunked: bool) -> None:
        self.headers = Headers(raw=[(b"content-type", content_type.encode("latin-1"))])
        self.content_length = -1 if chunked else sum(len(piece) for piece in pieces)
        self.chunked = chunked
        self._pieces = pieces
        self._body: bytes | None = None

    async def stream(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def _probe_urlencoded_field_bytes() -> bool:
    """Whether the urlencoded field limit counts bytes.

    NOTE: known bug, reported (tests/forms/test_request_form.py,
    test_urlencoded_field_size_is_counted_in_bytes): it counts characters.
    Until it is fixed the check below counts characters for urlencoded
    bodies too; once fixed, this probe turns the strict check on.
    """
    request = FakeRequest(CONTENT_TYPES[0], [b"a=" + b"%C3%A9" * 9], False)
    try:
        parsers.parse_form(request, SMALL).send(None)
    except HTTPException:
        return True
    except StopIteration:
        return False
    raise AssertionError("the form parser waited on something")


def run(content_type: str, pieces: list[bytes], chunked: bool, limits: Any) -> Any:
    """Parse synchronously: the form's files stay in memory, so nothing awaits I/O."""
    coroutine = parsers.parse_form(FakeRequest(content_type, pieces, chunked), limits)
    try:
        coroutine.send(None)
    except StopIteration as done:
        form = done.value
    except HTTPException as exc:
        assert exc.status_code in (400, 413, 415), exc.status_code
        return ("refused", exc.status_code)
    else:
        coroutine.close()
        raise AssertionError("the form parser waited on something")
    characters = content_type.startswith(CONTENT_TYPES[0]) and not URLENCODED_FIELD_BYTES
    return summarize(form, limits, characters)


def summarize(form: Any, limits: Any, characters: bool = False) -> Any:
    items = []
    files = fields = 0
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            files += 1
            value.file.seek(0)
            content = value.file.read()
            value.file.close()
            assert value.size == len(content) <= limits.max_file_size, value.size
            items.append((name, value.untrusted_filename, content))
        else:
            fields += 1
            size = len(value) if characters else len(value.encode("utf-8", "surrogatepass"))
            assert size <= limits.max_field_size, (name, value)
            items.append((name, value))
    assert fields <= limits.max_fields and files <= limits.max_files, (fields, files)
    return items


URLENCODED_FIELD_BYTES = _probe_urlencoded_field_bytes()


def cut(body: bytes, rng: random.Random) -> list[bytes]:
    pieces = []
    position = 0
    while position < len(body):
        size = rng.choice((1, 2, 7, 16, 100, 4096))
        pieces.append(body[position : position + size])
        position += size
    return pieces


def one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    control, seed, rest = data[0], data[1], data[2:]
    limits = SMALL if control & 4 else DEFAULT
    kind = control & 3
    if kind == 0:
        content_type, body = CONTENT_TYPES[0], rest
    elif kind == 1:
        boundary, _, body = rest.partition(b"\n")
        content_type = CONTENT_TYPES[1] + boundary.decode("latin-1")
    else:
        raw_type, _, body = rest.partition(b"\n")
        content_type = raw_type.decode("latin-1")
    chunked = bool(control & 8)
    whole = run(content_type, [body] if body else [], chunked, limits)
    pieces = run(content_type, cut(body, random.Random(seed)), chunked, limits)
    # Which refusal comes first (a malformed part or the size) may depend on
    # where the reads end; accepting or refusing may not.
    if isinstance(whole, tuple) and isinstance(pieces, tuple):
        return
    assert pieces == whole, (pieces, whole)


if __name__ == "__main__":
    main(one_input)
