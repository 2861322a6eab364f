"""Serialize a typical JSON response: the compiled writer vs the same bytes in Python.

Both sides produce byte-identical output from the same ``JSONResponse``
(status line, Date, Server, Content-Length, the raw headers, body); the Python
side is the straightforward ``b"".join`` a pure-Python server would use, with
its status line and Date pre-encoded too, so only the assembly is compared.

Run: ``taskset -c 1 python -m pytest bench/micro/test_bench_response_writer.py --benchmark-only``
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest

from fastcore._speedups.response_writer import ResponseWriter, refresh_date
from fastcore.responses import JSONResponse

DATE_LINE = b"date: " + refresh_date().encode() + b"\r\n"
STATUS_LINES = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode() for status in HTTPStatus
}
RESPONSE = JSONResponse(
    {"id": 42, "name": "Ada Lovelace", "email": "ada@example.com", "tags": ["math", "poetry"]},
    headers={"cache-control": "no-store", "x-request-id": "5f1c2a9e"},
)


def python_serialize(response: Any, version_minor: int, keep_alive: bool, head: bool) -> bytes:
    parts = [STATUS_LINES[response.status_code], DATE_LINE, b"server: fastcore\r\n"]
    body = response.body
    parts.append(b"content-length: %d\r\n" % len(body))
    if not keep_alive:
        parts.append(b"connection: close\r\n")
    elif version_minor == 0:
        parts.append(b"connection: keep-alive\r\n")
    for name, value in response.raw_headers:
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name:
            raise ValueError("line break in a header")
        parts.append(name + b": " + value + b"\r\n")
    parts.append(b"\r\n")
    if not head:
        parts.append(body)
    return b"".join(parts)


def test_same_bytes() -> None:
    assert ResponseWriter().serialize(RESPONSE, 1, True, False) == python_serialize(
        RESPONSE, 1, True, False
    )


@pytest.mark.benchmark(group="serialize-json")
def test_fastcore_writer(benchmark: Any) -> None:
    writer = ResponseWriter()
    benchmark(writer.serialize, RESPONSE, 1, True, False)


@pytest.mark.benchmark(group="serialize-json")
def test_python_join(benchmark: Any) -> None:
    benchmark(python_serialize, RESPONSE, 1, True, False)
