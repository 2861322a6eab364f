"""Micro benchmarks of the HTTP/1.1 request parser against httptools (llhttp).

Both sides turn raw bytes into request objects with the same fields: method,
target, path, query string, version, lower-cased header list, host,
content length, chunked and keep-alive flags, and the body. httptools does it
the way Python servers use it (uvicorn's pattern): a callback per URL piece and
per header, then ``parse_url`` for the path and query.

Run pinned to one core and compare medians::

    taskset -c 1 python -m pytest bench/micro/test_bench_parser.py --benchmark-only
"""

from __future__ import annotations

from typing import Any

import httptools
import pytest

from fastcore._speedups.http_parser import BODY, END, HEAD, NEED_DATA, HttpRequestParser

BROWSER_REQUEST = (
    b"GET /articles/2024/fast-python-web?page=2&sort=recent HTTP/1.1\r\n"
    b"Host: www.example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
    b"Referer: https://www.example.com/articles\r\n"
    b"Connection: keep-alive\r\n"
    b"Cookie: session=9f86d081884c7d659a2f; csrftoken=5e884898da\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Dest: document\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"\r\n"
)

PIPELINE = b"".join(
    b"GET /plaintext/%d HTTP/1.1\r\nHost: localhost:8080\r\n"
    b"Accept: text/plain,text/html;q=0.9\r\nConnection: keep-alive\r\n\r\n" % i
    for i in range(8)
) + b"".join(
    b"POST /api/items HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\n"
    b'Content-Length: 15\r\n\r\n{"item": %05d}' % i
    for i in range(8)
)


class PeerRequest:
    """The request object filled by httptools callbacks (same fields as RequestHead)."""

    __slots__ = (
        "method",
        "target",
        "path",
        "query_string",
        "version_minor",
        "headers",
        "host",
        "content_length",
        "chunked",
        "keep_alive",
        "body",
    )
    method: str
    target: str
    path: str
    query_string: str
    version_minor: int
    headers: list[tuple[bytes, bytes]]
    host: bytes | None
    content_length: int
    chunked: bool
    keep_alive: bool
    body: bytes


class HttptoolsCollector:
    """httptools callbacks building one PeerRequest per message."""

    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.requests: list[PeerRequest] = []
        self.current: PeerRequest | None = None
        self.url = b""

    def on_message_begin(self) -> None:
        request = PeerRequest()
        request.headers = []
        request.host = None
        request.content_length = -1
        request.chunked = False
        request.body = b""
        self.current = request
        self.url = b""

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        name = name.lower()
        self.current.headers.append((name, value))
        if name == b"host":
            self.current.host = value
        elif name == b"content-length":
            self.current.content_length = int(value)
        elif name == b"transfer-encoding":
            self.current.chunked = value.lower() == b"chunked"

    def on_headers_complete(self) -> None:
        request = self.current
        assert request is not None
        parser = self.parser
        request.method = parser.get_method().decode("ascii")
        request.target = self.url.decode("ascii")
        parsed = httptools.parse_url(self.url)
        request.path = parsed.path.decode("ascii")
        request.query_string = parsed.query.decode("ascii") if parsed.query else ""
        request.version_minor = 1 if parser.get_http_version() == "1.1" else 0
        request.keep_alive = parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        assert self.current is not None
        self.current.body += body

    def on_message_complete(self) -> None:
        assert self.current is not None
        self.requests.append(self.current)


def fastcore_parse(parser: HttpRequestParser, data: bytes) -> list[Any]:
    """Feed one read and collect (head, body) the way the protocol does."""
    requests = []
    body = b""
    parser.feed(data)
    while (event := parser.next_event()) != NEED_DATA:
        if event == HEAD:
            body = b""
        elif event == BODY:
            body += parser.body_chunk or b""
        elif event == END:
            requests.append((parser.head, body))
    return requests


def httptools_parse(collector: HttptoolsCollector, data: bytes) -> list[PeerRequest]:
    collector.requests = []
    collector.parser.feed_data(data)
    return collector.requests


def test_request_sizes() -> None:
    # Keep the workload what the issue names: a ~500-byte browser request.
    assert 450 <= len(BROWSER_REQUEST) <= 550
    [(head, _)] = fastcore_parse(HttpRequestParser(), BROWSER_REQUEST)
    [peer] = httptools_parse(HttptoolsCollector(), BROWSER_REQUEST)
    assert (head.method, head.target, head.path, head.query_string) == (
        peer.method,
        peer.target,
        peer.path,
        peer.query_string,
    )
    assert head.headers == peer.headers
    assert (head.host, head.keep_alive) == (peer.host, peer.keep_alive)
    assert len(fastcore_parse(HttpRequestParser(), PIPELINE)) == 16
    assert len(httptools_parse(HttptoolsCollector(), PIPELINE)) == 16


@pytest.mark.benchmark(group="parser-browser-request")
def test_fastcore_browser_request(benchmark: Any) -> None:
    parser = HttpRequestParser()
    result = benchmark(fastcore_parse, parser, BROWSER_REQUEST)
    assert len(result) == 1


@pytest.mark.benchmark(group="parser-browser-request")
def test_httptools_browser_request(benchmark: Any) -> None:
    collector = HttptoolsCollector()
    result = benchmark(httptools_parse, collector, BROWSER_REQUEST)
    assert len(result) == 1


@pytest.mark.benchmark(group="parser-pipeline-16")
def test_fastcore_pipeline(benchmark: Any) -> None:
    parser = HttpRequestParser()
    result = benchmark(fastcore_parse, parser, PIPELINE)
    assert len(result) == 16


@pytest.mark.benchmark(group="parser-pipeline-16")
def test_httptools_pipeline(benchmark: Any) -> None:
    collector = HttptoolsCollector()
    result = benchmark(httptools_parse, collector, PIPELINE)
    assert len(result) == 16
