"""Unit tests of the compiled HTTP/1.1 request parser, through its Python surface."""

from __future__ import annotations

import sys

import pytest

from fastcore._speedups import http_parser
from fastcore._speedups.http_parser import (
    BODY,
    END,
    HEAD,
    NEED_DATA,
    HttpRequestParser,
    RequestHead,
    parse_all,
)
from fastcore.exceptions import ParserError

BROWSER_GET = (
    b"GET /search?q=fast+core&lang=en HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
    b"Connection: keep-alive\r\n"
    b"Cookie: session=abc123; theme=dark\r\n"
    b"\r\n"
)


def drain(parser: HttpRequestParser) -> list[tuple[int, object]]:
    """Pull events until NEED_DATA, recording heads and body chunks."""
    out: list[tuple[int, object]] = []
    while (event := parser.next_event()) != NEED_DATA:
        if event == HEAD:
            out.append((event, parser.head))
        elif event == BODY:
            out.append((event, parser.body_chunk))
        else:
            out.append((event, None))
    return out


def parse_error(data: bytes, **limits: int) -> ParserError:
    """Parse ``data`` in one feed and return the ParserError it must raise."""
    parser = HttpRequestParser(**limits)
    parser.feed(data)
    with pytest.raises(ParserError) as info:
        drain(parser)
    return info.value


def test_the_compiled_kernel_is_in_use() -> None:
    assert HttpRequestParser.__module__ == "fastcore._speedups.http_parser"
    assert http_parser.__file__ is not None
    assert not http_parser.__file__.endswith(".py")


def test_event_constants_are_distinct() -> None:
    assert sorted({NEED_DATA, HEAD, BODY, END}) == [0, 1, 2, 3]


def test_browser_get_fields() -> None:
    [(head, body)] = parse_all(BROWSER_GET)
    assert body == b""
    assert head.method == "GET"
    assert head.target == "/search?q=fast+core&lang=en"
    assert head.path == "/search"
    assert head.query_string == "q=fast+core&lang=en"
    assert head.version_minor == 1
    assert head.host == b"example.com"
    assert head.content_length == -1
    assert not head.chunked
    assert head.keep_alive
    assert not head.expect_continue
    assert not head.upgrade
    assert head.body_reader is None
    assert head.client is None
    assert head.scheme == "http"
    assert head.headers[0] == (b"host", b"example.com")
    assert head.headers[5] == (b"connection", b"keep-alive")
    assert [name for name, _ in head.headers] == [
        b"host",
        b"user-agent",
        b"accept",
        b"accept-language",
        b"accept-encoding",
        b"connection",
        b"cookie",
    ]


def test_request_without_body_gives_head_then_end() -> None:
    parser = HttpRequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert [event for event, _ in drain(parser)] == [HEAD, END]


def test_header_names_are_lowercased_and_values_trimmed() -> None:
    [(head, _)] = parse_all(
        b"GET / HTTP/1.1\r\nHOST: a\r\nX-Custom-Thing:\t  v a l \t\r\nX-Empty:\r\n\r\n"
    )
    assert head.headers == [(b"host", b"a"), (b"x-custom-thing", b"v a l"), (b"x-empty", b"")]


def test_obs_text_is_kept_as_bytes_in_values() -> None:
    [(head, _)] = parse_all(b"GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\r\n\r\n")
    assert head.headers[1] == (b"x-name", b"caf\xc3\xa9")


def test_common_methods_are_shared_objects() -> None:
    first = parse_all(b"POST / HTTP/1.1\r\nHost: a\r\n\r\n")[0][0]
    second = parse_all(b"POST / HTTP/1.1\r\nHost: a\r\n\r\n")[0][0]
    assert first.method is second.method
    [(custom, _)] = parse_all(b"PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert custom.method == "PROPFIND"


def test_content_length_body_is_one_chunk() -> None:
    parser = HttpRequestParser()
    parser.feed(b"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world")
    events = drain(parser)
    assert [event for event, _ in events] == [HEAD, BODY, END]
    head = events[0][1]
    assert isinstance(head, RequestHead)
    assert head.content_length == 11
    assert events[1][1] == b"hello world"


def test_zero_content_length_gives_head_then_end() -> None:
    parser = HttpRequestParser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
    assert [event for event, _ in drain(parser)] == [HEAD, END]


def test_body_arriving_in_its_own_read_is_not_copied() -> None:
    parser = HttpRequestParser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
    assert [event for event, _ in drain(parser)] == [HEAD]
    body = b"".join([b"he", b"llo"])
    parser.feed(body)
    assert parser.next_event() == BODY
    assert parser.body_chunk is body
    assert parser.next_event() == END


def test_partial_body_comes_in_pieces() -> None:
    parser = HttpRequestParser()
    parser.feed(b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc")
    assert [(e, c) for e, c in drain(parser)][1:] == [(BODY, b"abc")]
    parser.feed(b"defGET / HTTP/1.1\r\nHost: b\r\n\r\n")
    events = drain(parser)
    assert [event for event, _ in events] == [BODY, END, HEAD, END]
    assert events[0][1] == b"def"


def test_chunked_body_with_extensions_and_trailers() -> None:
    raw = (
        b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value;flag\r\nhello\r\n"
        b'6;q="quoted \\" string"\r\n world\r\n'
        b"A\r\n0123456789\r\n"
        b"0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n"
    )
    parser = HttpRequestParser()
    parser.feed(raw)
    events = drain(parser)
    assert [event for event, _ in events] == [HEAD, BODY, END]
    head = events[0][1]
    assert isinstance(head, RequestHead)
    assert head.chunked
    assert head.content_length == -1
    assert events[1][1] == b"hello world0123456789"
    # Trailer fields are validated and dropped, never merged into the head.
    assert head.headers == [(b"host", b"a"), (b"transfer-encoding", b"chunked")]


def test_chunked_transfer_coding_is_case_insensitive() -> None:
    raw = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n"
    [(head, body)] = parse_all(raw)
    assert head.chunked
    assert body == b""


def test_sixteen_pipelined_requests_in_one_feed() -> None:
    one = b"GET /p/%d HTTP/1.1\r\nHost: a\r\n\r\n"
    post = b"POST /q HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
    raw = b"".join(one % i if i % 2 else post for i in range(16))
    requests = parse_all(raw)
    assert len(requests) == 16
    for i, (head, body) in enumerate(requests):
        if i % 2:
            assert (head.method, head.path, body) == ("GET", f"/p/{i}", b"")
        else:
            assert (head.method, head.path, body) == ("POST", "/q", b"abc")


def test_repeated_targets_on_one_connection_keep_their_own_path_and_query() -> None:
    # The parser reuses the strings of a target equal to the previous one; a
    # target that differs anywhere (path, query, length) gets its own.
    targets = [
        "/items?page=1",
        "/items?page=1",
        "/items?page=2",
        "/items",
        "/items",
        "/itemz",
        "/items?page=1",
        "/a%20b?x=%2F",
        "/a%20b?x=%2F",
    ]
    raw = b"".join(b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % t.encode() for t in targets)
    heads = [head for head, _ in parse_all(raw)]
    got = [(head.target, head.path, head.query_string) for head in heads]
    want = [(t, t.partition("?")[0], t.partition("?")[2]) for t in targets]
    assert got == want


def test_first_header_reads_the_lines_in_place() -> None:
    parser = HttpRequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\nCOOKIE: one=1\r\ncookie: two=2\r\nX-Empty:\r\n\r\n")
    assert parser.next_event() == HEAD
    head = parser.head
    assert head.first_header(b"cookie") == b"one=1"  # the first, whatever its case
    assert head.first_header(b"x-empty") == b""
    assert head.first_header(b"cookies") is None
    assert head.first_header(b"accept") is None
    # The same answers once the pairs are built, and after they are replaced.
    assert head.headers[1] == (b"cookie", b"one=1")
    assert head.first_header(b"cookie") == b"one=1"
    head.headers = [(b"cookie", b"three=3")]
    assert head.first_header(b"cookie") == b"three=3"
    assert head.first_header(b"host") is None
    for bad in (None, "cookie"):
        with pytest.raises(TypeError):
            head.first_header(bad)  # type: ignore[arg-type]


def _event_log(raw: bytes, pieces: list[bytes]) -> list[tuple[int, object]]:
    parser = HttpRequestParser()
    log: list[tuple[int, object]] = []
    body = b""
    for piece in pieces:
        parser.feed(piece)
        for event, value in drain(parser):
            if event == BODY:
                assert isinstance(value, bytes) and value
                body += value
            else:
                if event == END:
                    log.append((END, body))
                    body = b""
                else:
                    assert isinstance(value, RequestHead)
                    log.append((HEAD, (value.method, value.target, value.headers)))
    return log


def test_byte_by_byte_gives_the_same_requests() -> None:
    raw = (
        BROWSER_GET
        + b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
        + b"POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n"
    )
    whole = _event_log(raw, [raw])
    assert len(whole) == 6
    assert _event_log(raw, [raw[i : i + 1] for i in range(len(raw))]) == whole
    for split in range(1, len(raw)):
        assert _event_log(raw, [raw[:split], raw[split:]]) == whole


def test_leading_empty_lines_are_skipped() -> None:
    [(head, _)] = parse_all(b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert head.path == "/"
    error = parse_error(b"\r\n" * 5 + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert error.status_code == 400


def test_asterisk_form_for_options() -> None:
    [(head, _)] = parse_all(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
    assert (head.target, head.path, head.query_string) == ("*", "*", "")
    assert parse_error(b"GET * HTTP/1.1\r\nHost: a\r\n\r\n").status_code == 400


@pytest.mark.parametrize(
    ("target", "path", "query", "host"),
    [
        ("http://example.com/p?q=1", "/p", "q=1", b"example.com"),
        ("http://example.com", "/", "", b"example.com"),
        ("HTTPS://example.com:8443?x", "/", "x", b"example.com:8443"),
        ("http://[::1]:8080/a/b", "/a/b", "", b"[::1]:8080"),
    ],
)
def test_absolute_form_target(target: str, path: str, query: str, host: bytes) -> None:
    raw = f"GET {target} HTTP/1.1\r\nHost: ignored.example\r\n\r\n".encode()
    [(head, _)] = parse_all(raw)
    assert (head.target, head.path, head.query_string, head.host) == (target, path, query, host)


@pytest.mark.parametrize(
    "target", ["http://user@host/", "http:///p", "ftp://host/", "http//host/", "example.com/"]
)
def test_bad_absolute_form_target(target: str) -> None:
    raw = f"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n".encode()
    assert parse_error(raw).status_code == 400


def test_connect_pauses_after_the_request() -> None:
    parser = HttpRequestParser()
    parser.feed(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03tls")
    events = drain(parser)
    assert [event for event, _ in events] == [HEAD, END]
    head = events[0][1]
    assert isinstance(head, RequestHead)
    assert (head.path, head.host) == ("/", b"example.com:443")
    assert parser.paused
    assert parser.unconsumed() == b"\x16\x03tls"


def test_upgrade_pauses_and_resume_continues_http() -> None:
    parser = HttpRequestParser()
    parser.feed(
        b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
        b"Upgrade: websocket\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    events = drain(parser)
    assert [event for event, _ in events] == [HEAD, END]
    head = events[0][1]
    assert isinstance(head, RequestHead)
    assert head.upgrade
    assert parser.paused
    assert parser.unconsumed().startswith(b"GET /next")
    parser.resume()
    assert not parser.paused
    events = drain(parser)
    assert [event for event, _ in events] == [HEAD, END]


def test_upgrade_header_without_connection_token_is_plain_http() -> None:
    [(head, _)] = parse_all(b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n")
    assert not head.upgrade


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        ("1.1", None, True),
        ("1.1", "close", False),
        ("1.1", "Keep-Alive", True),
        ("1.1", "keep-alive, CLOSE", False),
        ("1.0", None, False),
        ("1.0", "keep-alive", True),
        ("1.0", "foo ,  Keep-Alive", True),
        ("1.0", "close", False),
    ],
)
def test_keep_alive(version: str, connection: str | None, keep_alive: bool) -> None:
    raw = f"GET / HTTP/{version}\r\nHost: a\r\n"
    if connection is not None:
        raw += f"Connection: {connection}\r\n"
    [(head, _)] = parse_all((raw + "\r\n").encode())
    assert head.keep_alive is keep_alive


def test_expect_continue_only_on_http_11() -> None:
    raw = "POST / HTTP/1.{}\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx"
    [(head11, _)] = parse_all(raw.format(1).encode())
    [(head10, _)] = parse_all(raw.format(0).encode())
    assert head11.expect_continue
    assert not head10.expect_continue


def test_http_10_needs_no_host() -> None:
    [(head, _)] = parse_all(b"GET / HTTP/1.0\r\n\r\n")
    assert head.host == b""  # as an empty Host header: never None on a parsed head
    assert head.version_minor == 0


def test_empty_host_is_valid() -> None:
    [(head, _)] = parse_all(b"GET / HTTP/1.1\r\nHost:\r\n\r\n")
    assert head.host == b""


def test_head_type_subclass_is_instantiated_without_init() -> None:
    class AppHead(RequestHead):
        __slots__ = ("state",)

        def __init__(self) -> None:  # pragma: no cover - must never run
            raise AssertionError("__init__ must not be called")

    [(head, _)] = parse_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", head_type=AppHead)
    assert type(head) is AppHead
    assert head.method == "GET"
    head.state = 1
    assert head.state == 1


def test_invalid_constructor_arguments() -> None:
    with pytest.raises(TypeError):
        HttpRequestParser(head_type=dict)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        HttpRequestParser(max_headers=0)


def test_empty_feed_is_ignored() -> None:
    parser = HttpRequestParser()
    parser.feed(b"")
    assert parser.next_event() == NEED_DATA
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert parser.next_event() == HEAD


# -- refusals -------------------------------------------------------------------

BASE = "GET / HTTP/1.1\r\nHost: a\r\n"

REFUSED = [
    # framing / smuggling
    (
        "cl-and-te",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
        "Content-Length with Transfer-Encoding",
    ),
    ("duplicate-cl", BASE + "Content-Length: 3\r\nContent-Length: 3\r\n\r\n", 400, "duplicate"),
    ("cl-list", BASE + "Content-Length: 3, 3\r\n\r\n", 400, "malformed"),
    ("cl-plus", BASE + "Content-Length: +3\r\n\r\n", 400, "malformed"),
    ("cl-minus", BASE + "Content-Length: -3\r\n\r\n", 400, "malformed"),
    ("cl-inner-space", BASE + "Content-Length: 1 2\r\n\r\n", 400, "malformed"),
    ("cl-hex", BASE + "Content-Length: 0x10\r\n\r\n", 400, "malformed"),
    ("cl-empty", BASE + "Content-Length:\r\n\r\n", 400, "empty"),
    ("cl-overflow", BASE + "Content-Length: 9223372036854775808\r\n\r\n", 400, "overflow"),
    ("te-gzip-chunked", BASE + "Transfer-Encoding: gzip, chunked\r\n\r\n", 400, "Transfer-Enc"),
    ("te-chunked-gzip", BASE + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400, "Transfer-Enc"),
    ("te-identity", BASE + "Transfer-Encoding: identity\r\n\r\n", 400, "Transfer-Encoding"),
    (
        "te-twice",
        BASE + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
        "repeated Transfer-Encoding",
    ),
    ("te-chunked-chunked", BASE + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400, "Transfer"),
    ("te-obfuscated", BASE + "Transfer-Encoding: xchunked\r\n\r\n", 400, "Transfer-Encoding"),
    (
        "te-http10",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "HTTP/1.0",
    ),
    ("te-space-before-colon", BASE + "Transfer-Encoding : chunked\r\n\r\n", 400, "whitespace"),
    # field syntax
    ("obs-fold", BASE + "X-A: b\r\n  folded\r\n\r\n", 400, "folding"),
    ("space-after-request-line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, "folding"),
    ("empty-name", BASE + ": value\r\n\r\n", 400, "empty header name"),
    ("bad-name-char", BASE + "X(A): b\r\n\r\n", 400, "header name"),
    ("no-colon", BASE + "X-A b\r\n\r\n", 400, "header name"),
    ("nul-in-value", BASE + "X-A: a\x00b\r\n\r\n", 400, "header value"),
    ("bare-cr-in-value", BASE + "X-A: a\rb\r\n\r\n", 400, "header value"),
    ("ctl-in-value", BASE + "X-A: a\x01b\r\n\r\n", 400, "header value"),
    ("del-in-value", BASE + "X-A: a\x7fb\r\n\r\n", 400, "header value"),
    ("bare-lf", "GET / HTTP/1.1\nHost: a\n\n", 400, "bare LF"),
    ("bare-lf-header", BASE + "X-A: b\n\r\n", 400, "bare LF"),
    # Host
    ("missing-host", "GET / HTTP/1.1\r\n\r\n", 400, "missing Host"),
    ("repeated-host", BASE + "Host: a\r\n\r\n", 400, "repeated Host"),
    ("host-with-space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid Host"),
    ("host-with-slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "invalid Host"),
    ("host-with-at", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, "invalid Host"),
    # request line
    ("lowercase-is-a-token", "get / HTTP/1.1\r\nHost: a\r\n\r\n", None, None),
    ("bad-method-char", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid method"),
    ("double-space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "target"),
    ("tab-separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid method"),
    ("nul-in-target", "GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "target"),
    ("bare-cr-in-target", "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400, "target"),
    ("fragment-in-target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "target"),
    ("no-version", "GET /\r\nHost: a\r\n\r\n", 400, "target"),
    ("lowercase-version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, "malformed HTTP version"),
    ("long-version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, "malformed HTTP version"),
    ("trailing-space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "malformed HTTP version"),
    ("http-2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "not supported"),
    ("http-12", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, "not supported"),
    ("http-09", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "not supported"),
]


@pytest.mark.parametrize(
    ("raw", "status", "detail"),
    [pytest.param(raw, status, detail, id=name) for name, raw, status, detail in REFUSED],
)
def test_refused(raw: str, status: int | None, detail: str | None) -> None:
    data = raw.encode("latin-1")
    if status is None:
        assert len(parse_all(data)) == 1
        return
    error = parse_error(data)
    assert error.status_code == status
    assert detail is not None and detail in error.detail
    assert 0 <= error.offset <= len(data)


def test_non_ascii_target_is_refused() -> None:
    error = parse_error(b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert (error.status_code, error.offset) == (400, 8)


def test_error_offset_counts_from_the_start_of_the_stream() -> None:
    parser = HttpRequestParser()
    first = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    parser.feed(first)
    drain(parser)
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\nX-A")
    drain(parser)
    parser.feed(b"\x00: b\r\n\r\n")
    with pytest.raises(ParserError) as info:
        drain(parser)
    assert info.value.offset == len(first) + len(b"GET / HTTP/1.1\r\nHost: a\r\nX-A")


def test_parser_is_dead_after_an_error() -> None:
    parser = HttpRequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    with pytest.raises(ParserError) as first:
        parser.next_event()
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    with pytest.raises(ParserError) as again:
        parser.next_event()
    assert again.value.args == first.value.args


@pytest.mark.parametrize(
    ("chunks", "detail"),
    [
        (b"x\r\n", "invalid chunk size"),
        (b"\r\n", "invalid chunk size"),
        (b"-5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        (b"+5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        (b" 5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        (b"5 \r\nhello\r\n0\r\n\r\n", "chunk extension"),
        (b"0x5\r\nhello\r\n0\r\n\r\n", "chunk extension"),
        (b"1" * 17 + b"\r\n", "overflow"),
        (b"5\r\nhelloXX0\r\n\r\n", "not followed by CRLF"),
        (b"5\r\nhello\n0\r\n\r\n", "not followed by CRLF"),
        (b"5;\r\nhello\r\n0\r\n\r\n", "extension name"),
        (b"5 ;a=b\r\nhello\r\n0\r\n\r\n", "chunk extension"),
        (b"5; a=b\r\nhello\r\n0\r\n\r\n", "extension name"),
        (b"5;a =b\r\nhello\r\n0\r\n\r\n", "chunk extension"),
        (b"5;a= b\r\nhello\r\n0\r\n\r\n", "extension value"),
        (b"5;a=\r\nhello\r\n0\r\n\r\n", "extension value"),
        (b'5;a="x\r\nhello\r\n0\r\n\r\n', "quoted"),
        (b"5;a\x00\r\nhello\r\n0\r\n\r\n", "chunk extension"),
        (b"5\nhello\r\n0\r\n\r\n", "bare LF"),
        (b"0\r\nX : v\r\n\r\n", "whitespace"),
        (b"0\r\nX: a\x00\r\n\r\n", "header value"),
    ],
)
def test_bad_chunked_bodies(chunks: bytes, detail: str) -> None:
    head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    error = parse_error(head + chunks)
    assert error.status_code == 400
    assert detail in error.detail


def test_chunk_data_crlf_is_checked_as_soon_as_it_arrives() -> None:
    parser = HttpRequestParser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc")
    assert [event for event, _ in drain(parser)] == [HEAD, BODY]
    parser.feed(b"X")
    with pytest.raises(ParserError):
        parser.next_event()


# -- limits ---------------------------------------------------------------------


def test_request_line_limit_is_enforced_before_the_line_ends() -> None:
    parser = HttpRequestParser(max_request_line=100)
    parser.feed(b"GET /" + b"a" * 90)
    assert parser.next_event() == NEED_DATA
    parser.feed(b"a" * 20)
    with pytest.raises(ParserError) as info:
        parser.next_event()
    assert info.value.status_code == 414


def test_request_line_at_the_limit_is_accepted() -> None:
    line = b"GET /" + b"a" * 86 + b" HTTP/1.1"
    assert len(line) == 100
    assert len(parse_all(line + b"\r\nHost: a\r\n\r\n", max_request_line=100)) == 1
    error = parse_error(
        b"GET /a" + b"a" * 86 + b" HTTP/1.1\r\nHost: a\r\n\r\n", max_request_line=100
    )
    assert error.status_code == 414


def test_header_section_limit_is_enforced_before_the_line_ends() -> None:
    parser = HttpRequestParser(max_header_bytes=1000)
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: ")
    assert parser.next_event() == NEED_DATA
    for _ in range(10):
        parser.feed(b"v" * 50)
        assert parser.next_event() == NEED_DATA
    parser.feed(b"v" * 600)
    with pytest.raises(ParserError) as info:
        parser.next_event()
    assert info.value.status_code == 431


def test_header_section_limit_on_complete_lines() -> None:
    raw = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-A: " + b"v" * 2000 + b"\r\n\r\n"
    assert parse_error(raw, max_header_bytes=1000).status_code == 431
    assert len(parse_all(raw, max_header_bytes=4000)) == 1


def test_header_count_limit() -> None:
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(9))
    raw = b"GET / HTTP/1.1\r\nHost: a\r\n" + fields + b"\r\n"
    assert len(parse_all(raw, max_headers=10)) == 1
    assert parse_error(raw + b"", max_headers=9).status_code == 431


def test_content_length_over_the_limit_is_refused_at_head_time() -> None:
    parser = HttpRequestParser(max_body=100)
    parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n")
    with pytest.raises(ParserError) as info:
        parser.next_event()
    assert info.value.status_code == 413
    assert (
        len(
            parse_all(
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + b"x" * 100,
                max_body=100,
            )
        )
        == 1
    )


def test_chunked_body_over_the_limit() -> None:
    head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    ok = head + b"32\r\n" + b"x" * 50 + b"\r\n32\r\n" + b"x" * 50 + b"\r\n0\r\n\r\n"
    assert parse_all(ok, max_body=100)[0][1] == b"x" * 100
    over = head + b"32\r\n" + b"x" * 50 + b"\r\n33\r\n"
    assert parse_error(over, max_body=100).status_code == 413


def test_trailer_section_limits() -> None:
    head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
    trailers = b"".join(b"T-%d: v\r\n" % i for i in range(5)) + b"\r\n"
    assert len(parse_all(head + trailers, max_headers=5)) == 1
    assert parse_error(head + trailers, max_headers=4).status_code == 431


# -- memory held by an idle connection -------------------------------------------


def test_idle_parser_releases_the_last_read() -> None:
    # The read holds a body (or more requests) beside the header lines: an
    # idle connection keeps a copy of the lines, not the read.
    for data in (
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 64\r\n\r\n" + b"x" * 64,
        b"GET /one HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n" * 4,
    ):
        baseline = sys.getrefcount(data)
        parser = HttpRequestParser()
        parser.feed(data)
        events = [event for event, _ in drain(parser)]  # the heads are let go
        assert events[-1] == END
        assert parser.body_chunk is None
        assert sys.getrefcount(data) == baseline
        assert parser.head is not None and (b"host", b"a") in parser.head.headers


def test_idle_parser_keeps_a_read_of_mostly_header_lines() -> None:
    # A copy of the lines would be most of the read: the head keeps the read.
    data = b"GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: a-long-user-agent-value/1.0\r\n\r\n"
    parser = HttpRequestParser()
    parser.feed(data)
    assert [event for event, _ in drain(parser)] == [HEAD, END]
    assert parser.head is not None
    assert parser.head.headers == [(b"host", b"a"), (b"user-agent", b"a-long-user-agent-value/1.0")]


def test_reused_head_objects_start_clean() -> None:
    # Heads come from a freelist: a head recycled from a chunked, upgrading,
    # 100-continue request must not leak those flags into the next one.
    for _ in range(3):
        parse_all(
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
            b"Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n0\r\n\r\n"
        )
    [(head, _)] = parse_all(b"GET / HTTP/1.0\r\n\r\n")
    assert (head.chunked, head.expect_continue, head.upgrade, head.keep_alive) == (
        False,
        False,
        False,
        False,
    )
    assert (head.content_length, head.host, head.scheme) == (-1, b"", "http")


class SlottedHead(RequestHead):
    """A head type as the App's Request is: a Python subclass with __slots__."""

    __slots__ = ("note", "__weakref__")


# Every field and property of RequestHead, read through its descriptor.
HEAD_FIELDS = sorted(
    name for name, value in vars(RequestHead).items() if type(value).__name__ == "getset_descriptor"
)
RECYCLED_REQUEST = b"GET /next?page=2 HTTP/1.1\r\nHost: next.example\r\nAccept: */*\r\n\r\n"


def _fields(head: RequestHead) -> dict[str, object]:
    return {name: getattr(head, name) for name in HEAD_FIELDS}


def _dirty(head: RequestHead) -> None:
    """Set every settable field to a value no parse gives."""
    for name in HEAD_FIELDS:
        for value in ({"stale": name}, [(b"stale", b"stale")], "stale", b"stale", 7, True):
            try:
                setattr(head, name, value)
            except (TypeError, AttributeError, OverflowError):
                continue
            break
        else:  # pragma: no cover - a field no value fits
            raise AssertionError(f"cannot set {name}")


def test_a_head_nobody_holds_is_recycled_as_new() -> None:
    # PERF: a head only the parser still refers to is reused for the next
    # request; it must then read exactly as a new head for that request would.
    fresh = HttpRequestParser(head_type=SlottedHead)
    fresh.feed(RECYCLED_REQUEST)
    assert fresh.next_event() == HEAD
    expected = _fields(fresh.head)

    parser = HttpRequestParser(head_type=SlottedHead)
    parser.feed(
        b"POST /first HTTP/1.1\r\nHost: first.example\r\nCookie: a=b\r\n"
        b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n0\r\n\r\n"
    )
    assert parser.next_event() == HEAD
    assert parser.next_event() == END
    first = parser.head
    _dirty(first)
    first.note = "from the first request"
    first_id = id(first)
    del first

    parser.feed(RECYCLED_REQUEST)
    assert parser.next_event() == HEAD
    head = parser.head
    assert id(head) == first_id  # recycled, not a new object
    assert _fields(head) == expected
    assert not hasattr(head, "note")  # the subclass's __slots__ are emptied too


def test_a_head_somebody_keeps_is_never_recycled() -> None:
    parser = HttpRequestParser(head_type=SlottedHead)
    parser.feed(b"GET /kept HTTP/1.1\r\nHost: a\r\n\r\n")
    assert parser.next_event() == HEAD
    kept = parser.head  # a handler's background task, a log record...
    kept.note = "mine"
    before = _fields(kept)
    assert parser.next_event() == END
    parser.feed(RECYCLED_REQUEST)
    assert parser.next_event() == HEAD
    assert parser.head is not kept
    assert _fields(kept) == before
    assert kept.note == "mine"


def test_a_head_with_a_weak_reference_dies_and_is_not_recycled() -> None:
    import weakref

    finalized: list[str] = []
    parser = HttpRequestParser(head_type=SlottedHead)
    parser.feed(b"GET /weak HTTP/1.1\r\nHost: a\r\n\r\n")
    assert parser.next_event() == HEAD
    # As Request does to close uploaded files when it dies.
    weakref.finalize(parser.head, finalized.append, "closed")
    first_id = id(parser.head)
    assert parser.next_event() == END
    parser.feed(RECYCLED_REQUEST)
    assert parser.next_event() == HEAD
    assert finalized == ["closed"]  # the old head died: its finalizer ran
    assert parser.head.path == "/next"
    del first_id


class DictHead(RequestHead):
    """A Python subclass without __slots__: its instances have a __dict__."""


class FinalizedHead(RequestHead):
    __slots__ = ()
    finalized: list[str] = []

    def __del__(self) -> None:
        FinalizedHead.finalized.append(self.path)


def test_a_head_with_a_dict_is_made_new() -> None:
    # Recycling does not empty an instance __dict__: such heads are new objects.
    parser = HttpRequestParser(head_type=DictHead)
    parser.feed(b"GET /one HTTP/1.1\r\nHost: a\r\n\r\n")
    assert parser.next_event() == HEAD
    parser.head.extra = 1
    assert parser.next_event() == END
    parser.feed(RECYCLED_REQUEST)
    assert parser.next_event() == HEAD
    assert parser.head.path == "/next"
    assert not hasattr(parser.head, "extra")


def test_a_head_with_del_is_finalized_not_recycled() -> None:
    FinalizedHead.finalized.clear()
    parser = HttpRequestParser(head_type=FinalizedHead)
    for target in (b"/one", b"/two", b"/three"):
        parser.feed(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        assert parser.next_event() == HEAD
        assert parser.next_event() == END
    assert FinalizedHead.finalized == ["/one", "/two"]


def test_feed_accepts_only_bytes() -> None:
    parser = HttpRequestParser()
    with pytest.raises(TypeError):
        parser.feed(bytearray(b"GET / HTTP/1.1\r\n"))  # type: ignore[arg-type]


@pytest.mark.parametrize("length", [1, 7, 8, 9, 15, 16, 17, 23, 40])
def test_every_byte_of_a_value_is_checked(length: int) -> None:
    # Values are scanned a word at a time; a bad byte must be caught at every
    # position of every word, including the overlapping last one.
    for position in range(length):
        for bad in (0x00, 0x0D, 0x1F, 0x7F):
            value = bytearray(b"v" * length)
            value[position] = bad
            raw = b"GET / HTTP/1.1\r\nHost: a\r\nX-A: " + bytes(value) + b"\r\n\r\n"
            error = parse_error(raw)
            assert error.status_code == 400
            assert error.offset == len(b"GET / HTTP/1.1\r\nHost: a\r\nX-A: ") + position
        for good in (0x09, 0x20, 0x7E, 0x80, 0xFF):
            value = bytearray(b"v" * length)
            value[position] = good
            raw = b"GET / HTTP/1.1\r\nHost: a\r\nX-A: " + bytes(value) + b"\r\n\r\n"
            [(head, _)] = parse_all(raw)
            assert head.headers[1] == (b"x-a", bytes(value).strip(b" \t"))


@pytest.mark.parametrize("length", [1, 7, 8, 9, 16, 17, 30])
def test_every_byte_of_a_target_is_checked(length: int) -> None:
    for position in range(1, length):
        for bad in (0x00, 0x09, 0x0D, 0x23, 0x7F, 0x80, 0xFF):
            target = bytearray(b"/" + b"t" * (length - 1))
            target[position] = bad
            raw = b"GET " + bytes(target) + b" HTTP/1.1\r\nHost: a\r\n\r\n"
            error = parse_error(raw)
            assert error.status_code == 400
            assert error.offset == 4 + position
        target = bytearray(b"/" + b"t" * (length - 1))
        target[position] = ord("~")
        [(head, _)] = parse_all(b"GET " + bytes(target) + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        assert head.target == target.decode()


@pytest.mark.parametrize(
    "name",
    [b"Accept-Language", b"ACCEPT-LANGUAGE", b"accept-language", b"Upgrade-Insecure-Requests"],
)
def test_known_names_match_in_any_case(name: bytes) -> None:
    [(head, _)] = parse_all(b"GET / HTTP/1.1\r\nHost: a\r\n" + name + b": v\r\n\r\n")
    assert head.headers[1] == (name.lower(), b"v")


@pytest.mark.parametrize(
    "name",
    # Same length as known names, one byte off (also where only the 0x20 bit
    # differs on a non-letter: "-" vs CR, "_" vs DEL).
    [
        b"accept-languagx",
        b"accept_language",
        b"content-lengtx",
        b"accept\rlanguage",
        b"x-forwarded_for",
        b"Hos\x7f",
    ],
)
def test_near_miss_names_are_not_taken_for_known_ones(name: bytes) -> None:
    raw = b"GET / HTTP/1.1\r\nHost: a\r\n" + name + b": 5\r\n\r\n"
    if all(chr(c) in "!#$%&'*+-.^_`|~" or chr(c).isalnum() for c in name):
        [(head, _)] = parse_all(raw)
        assert head.headers[1] == (name.lower(), b"5")
        assert head.content_length == -1
    else:
        assert parse_error(raw).status_code == 400


def test_header_section_limit_boundary() -> None:
    # The limit counts the field lines with their CRLFs, not the final empty line.
    fields = b"X-A: " + b"v" * 93 + b"\r\n"
    assert len(fields) == 100
    raw = b"GET / HTTP/1.0\r\n" + fields + b"\r\n"
    assert len(parse_all(raw, max_header_bytes=100)) == 1
    error = parse_error(raw, max_header_bytes=99)
    assert (error.status_code, error.offset) == (431, len(b"GET / HTTP/1.0\r\n") + 99)


# -- header lines kept as offsets until read -------------------------------------


def _many_headers(count: int) -> list[tuple[bytes, bytes]]:
    return [(b"x-h%d" % index, b"v%d" % index) for index in range(count)]


def _request_with(headers: list[tuple[bytes, bytes]], name_case: bytes = b"X-H") -> bytes:
    lines = b"".join(
        name.replace(b"x-h", name_case) + b":  " + value + b" \r\n" for name, value in headers
    )
    return b"GET / HTTP/1.1\r\nHost: a\r\n" + lines + b"\r\n"


@pytest.mark.parametrize("count", [0, 15, 16, 40])
def test_headers_come_back_in_order_however_many(count: int) -> None:
    expected = [(b"host", b"a"), *_many_headers(count)]
    [(head, _)] = parse_all(_request_with(_many_headers(count)))
    assert head.headers == expected
    assert head.headers is head.headers  # built once, then the same list


def test_headers_split_across_reads_and_in_large_reads() -> None:
    expected = [(b"host", b"a"), *_many_headers(10)]
    data = _request_with(_many_headers(10))
    for split in (30, 60, len(data) - 3):
        parser = HttpRequestParser()
        parser.feed(data[:split])
        assert parser.next_event() == NEED_DATA
        parser.feed(data[split:])
        assert parser.next_event() == HEAD
        assert parser.head.headers == expected
    # A read past the offset range: the pairs are built while parsing.
    padded = data + b"GET /next HTTP/1.1\r\nHost: b\r\nX-Pad: " + b"p" * 5000 + b"\r\n\r\n"
    [(first, _), (second, _)] = parse_all(padded)
    assert first.headers == expected
    assert second.headers == [(b"host", b"b"), (b"x-pad", b"p" * 5000)]


def test_headers_can_be_replaced_and_edited() -> None:
    [(head, _)] = parse_all(_request_with(_many_headers(2)))
    head.headers.append((b"x-added", b"1"))
    assert head.headers[-1] == (b"x-added", b"1")
    head.headers = [(b"host", b"b")]
    assert head.headers == [(b"host", b"b")]
