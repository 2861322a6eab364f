"""A minimal HTTP/1.1 server: uvloop, httptools and pre-built response bytes.

The reference point for a Python server on this stack: no framework, no request
object, no routing beyond comparing the path. Every complete request in a read is
answered in that pass, in order, with one write per read, so keep-alive and
pipelining behave as in a real server. ``Connection: close`` and HTTP/1.0
without keep-alive close after the answer; a parse error answers 400 and
closes.

Run as ``python uvloop_protocol.py HOST PORT``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import cast

import httptools
import orjson
import uvloop
from _http_date import http_date


def _head(status: bytes, content_type: bytes, content_length: int, date: bytes) -> bytes:
    return b"".join(
        (
            b"HTTP/1.1 ",
            status,
            b"\r\nServer: uvloop-httptools\r\nDate: ",
            date,
            b"\r\nContent-Type: ",
            content_type,
            b"\r\nContent-Length: ",
            str(content_length).encode(),
            b"\r\n\r\n",
        )
    )


_PLAINTEXT_BODY = b"Hello, World!"
_JSON_LENGTH = len(orjson.dumps({"message": "Hello, World!"}))


class _Responses:
    """The fixed answers, rebuilt when the Date header's second changes."""

    def __init__(self) -> None:
        self.date = ""
        self.plaintext = b""
        self.not_found = b""
        self.bad_request = b""
        # Everything but the body: the JSON body is serialized per request.
        self.json_head = b""

    def refresh(self) -> None:
        date = http_date()
        if date == self.date:
            return
        self.date = date
        raw_date = date.encode()
        self.plaintext = _head(b"200 OK", b"text/plain", 13, raw_date) + _PLAINTEXT_BODY
        self.not_found = _head(b"404 Not Found", b"text/plain", 9, raw_date) + b"Not Found"
        self.bad_request = _head(b"400 Bad Request", b"text/plain", 11, raw_date) + b"Bad Request"
        self.json_head = _head(b"200 OK", b"application/json", _JSON_LENGTH, raw_date)


RESPONSES = _Responses()


class HttpProtocol(asyncio.Protocol):
    """One connection: parse with httptools, answer each complete request."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.pending: list[bytes] = []
        self.close_after_write = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # NOTE: uvloop's TCPTransport is not an asyncio.Transport subclass.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.pending.append(RESPONSES.bad_request)
            self.close_after_write = True
        if self.pending:
            # PERF: one write for every answer produced by this read
            # (pipelined requests arrive together and leave together).
            transport.write(b"".join(self.pending) if len(self.pending) > 1 else self.pending[0])
            self.pending.clear()
        if self.close_after_write:
            transport.close()

    # httptools callbacks -------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""

    def on_url(self, url: bytes) -> None:
        # NOTE: llhttp may deliver the target in several pieces.
        self.url += url

    def on_message_complete(self) -> None:
        if self.close_after_write:
            return
        RESPONSES.refresh()
        if self.url == b"/plaintext":
            self.pending.append(RESPONSES.plaintext)
        elif self.url == b"/json":
            # NOTE: serialized on every request, as the TechEmpower rules ask.
            self.pending.append(RESPONSES.json_head + orjson.dumps({"message": "Hello, World!"}))
        else:
            self.pending.append(RESPONSES.not_found)
        if not self.parser.should_keep_alive():
            self.close_after_write = True


async def serve(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set_result, None)
    server = await loop.create_server(HttpProtocol, host, port, backlog=4096)
    try:
        await stop
    finally:
        server.close()
        await server.wait_closed()


if __name__ == "__main__":
    uvloop.run(serve(sys.argv[1], int(sys.argv[2])))
