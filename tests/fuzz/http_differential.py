"""Differential fuzzing of the HTTP/1.1 request parser against llhttp (httptools).

Input: one byte stream, parsed whole by both parsers. Checked on every input:

- the requests both parsers complete agree on method, target, version,
  headers, body and keep-alive (llhttp's trailers and trailing OWS aside);
- when neither refuses the stream, both complete the same number of requests
  (one still waiting for a body the other has finished is a framing
  disagreement);
- every request fastcore accepts has unambiguous framing, whatever llhttp
  says: CRLF line ends only, no NUL, no obs-fold, at most one Content-Length
  (digits only) and never together with Transfer-Encoding, which may only be
  a bare ``chunked`` on HTTP/1.1.

Deliberate differences (tests/conformance/http/test_corpus.py lists them) are
allowed: fastcore is stricter on Host, versions, targets and limits; it
accepts any token as a method; an HTTP/1.0 "keep-alive, close" closes.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fuzz._support import instrumented, main

with instrumented():
    import httptools

    from fastcore._speedups.http_parser import BODY, END, HEAD, NEED_DATA, HttpRequestParser
    from fastcore.exceptions import ParserError
    from tests.llhttp_oracle import LlhttpRequests

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
DIGITS = re.compile(rb"[0-9]+")


def parse_fastcore(data: bytes) -> tuple[list[dict[str, Any]], list[bytes], bool]:
    """The completed requests, the raw head section of each, and whether it refused."""
    parser = HttpRequestParser()
    requests: list[dict[str, Any]] = []
    heads: list[bytes] = []
    parser.feed(data)
    start = 0
    head_bytes = b""
    body = b""
    try:
        for _ in range(4 * len(data) + 8):
            event = parser.next_event()
            if event == NEED_DATA:
                break
            if event == HEAD:
                end = len(data) - len(parser.unconsumed())
                head_bytes, body = data[start:end], b""
            elif event == BODY:
                body += parser.body_chunk or b""
            else:
                assert event == END
                head = parser.head
                assert head is not None
                requests.append(
                    {
                        "method": head.method,
                        "target": head.target,
                        "version": f"1.{head.version_minor}",
                        "headers": head.headers,
                        "body": body,
                        "keep_alive": head.keep_alive,
                    }
                )
                heads.append(head_bytes)
                start = len(data) - len(parser.unconsumed())
                if parser.paused:
                    break
        else:
            raise AssertionError("the parser does not make progress")
    except ParserError:
        return requests, heads, True
    return requests, heads, False


def parse_llhttp(data: bytes) -> tuple[list[dict[str, Any]], bool]:
    """The completed requests and whether llhttp refused (or stopped at an upgrade)."""
    collector = LlhttpRequests()
    try:
        collector.parser.feed_data(data)
    except httptools.HttpParserUpgrade:
        # llhttp hands everything after an upgrade request's head to the new
        # protocol, so it reports no body; fastcore switches no protocol and,
        # as RFC 9110 section 7.8 has it, the request's content is still part
        # of the request. The upgrade request's body is not compared.
        if collector.requests:
            collector.requests[-1]["body"] = None
        return collector.requests, True
    except httptools.HttpParserError:
        return collector.requests, True
    return collector.requests, False


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> set[bytes]:
    tokens = set()
    for name, value in headers:
        if name == b"connection":
            tokens.update(token.strip(b" \t").lower() for token in value.split(b","))
    return tokens


def comparable(request: dict[str, Any]) -> dict[str, Any]:
    """Drop what differs by design: keep-alive of an HTTP/1.0 "keep-alive, close"."""
    if request["version"] == "1.0" and {b"keep-alive", b"close"} <= _connection_tokens(
        request["headers"]
    ):
        return {**request, "keep_alive": None}
    return request


def check_unambiguous(raw_head: bytes, request: dict[str, Any]) -> None:
    """Assert that an accepted head frames its message one way only."""
    lines = raw_head.split(b"\r\n")
    assert lines[-2:] == [b"", b""], raw_head
    for line in lines:
        assert b"\n" not in line and b"\r" not in line and b"\0" not in line, raw_head
    fields = [line for line in lines[:-2] if line][1:]
    for line in fields:
        assert line[:1] not in (b" ", b"\t"), "obs-fold accepted"
        name, colon, _ = line.partition(b":")
        assert colon and TOKEN.fullmatch(name), line
    headers = request["headers"]
    lengths = [value for name, value in headers if name == b"content-length"]
    codings = [value for name, value in headers if name == b"transfer-encoding"]
    assert len(lengths) <= 1, lengths
    if lengths:
        assert DIGITS.fullmatch(lengths[0]), lengths
        assert not codings, "Content-Length with Transfer-Encoding accepted"
    if codings:
        assert request["version"] == "1.1", "Transfer-Encoding on HTTP/1.0 accepted"
        assert [value.lower() for value in codings] == [b"chunked"], codings


def one_input(data: bytes) -> None:
    ours, heads, we_refused = parse_fastcore(data)
    theirs, they_refused = parse_llhttp(data)
    for raw_head, request in zip(heads, ours, strict=True):
        check_unambiguous(raw_head, request)
    common = min(len(ours), len(theirs))
    ours_cmp = [comparable(request) for request in ours[:common]]
    theirs_cmp = [comparable(request) for request in theirs[:common]]
    for index, (mine, other) in enumerate(zip(ours_cmp, theirs_cmp, strict=True)):
        if mine["keep_alive"] is None or other["keep_alive"] is None:
            mine = {**mine, "keep_alive": None}
            other = {**other, "keep_alive": None}
        if other["body"] is None:  # llhttp stopped at an upgrade (see parse_llhttp)
            mine = {**mine, "body": None}
        assert mine == other, (index, mine, other)
    if not we_refused and not they_refused:
        assert len(ours) == len(theirs), (ours, theirs)


if __name__ == "__main__":
    main(one_input)
