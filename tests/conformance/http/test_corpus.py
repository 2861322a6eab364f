"""Run the raw-request corpus through fastcore's parser and through httptools.

One test body, two implementations: each parser is wrapped in an adapter that
turns raw bytes into an :class:`Outcome`, and every case in ``cases/`` is
checked against ``expected.toml`` for both. Where fastcore intentionally
differs from llhttp, the case is listed below with the reason, and the test
asserts that the difference is still there (so the lists never go stale).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httptools
import pytest

from fastcore._speedups.http_parser import BODY, END, HEAD, NEED_DATA, HttpRequestParser
from fastcore.exceptions import ParserError

HERE = Path(__file__).parent
CASES = sorted(path.stem for path in (HERE / "cases").glob("*.http"))
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((HERE / "expected.toml").read_text())

# fastcore refuses these; llhttp (httptools) accepts them.
STRICTER_THAN_HTTPTOOLS = {
    # A request-target never carries a fragment (RFC 9112 section 3.2);
    # llhttp parses it as one.
    "bad-target-fragment": "fragment in target",
    # RFC 9112 section 3.2: a server MUST answer 400 to an HTTP/1.1 request
    # without exactly one Host; llhttp leaves Host to the application.
    "bad-missing-host": "Host is required on HTTP/1.1",
    "bad-repeated-host": "Host must not repeat",
    # Host must be a uri-host [":" port]; llhttp does not look at the value.
    "bad-host-whitespace": "Host syntax",
    "bad-host-slash": "Host syntax",
    "bad-host-userinfo": "Host syntax",
    # llhttp accepts any single-digit version; only 1.0 and 1.1 are served.
    "bad-version-http2": "505 for versions other than 1.0/1.1",
    "bad-version-http09": "505 for versions other than 1.0/1.1",
    # llhttp accepts other codings before a final "chunked"; fastcore decodes
    # no coding but chunked, so it refuses rather than pass encoded bytes on.
    "smuggle-te-te-gzip-chunked": "only a bare chunked is accepted",
    # RFC 9112 section 3 asks for exactly one SP between request-line parts;
    # llhttp skips extra spaces, and reads a missing version as HTTP/0.9.
    "bad-double-space": "single SP separators",
    "bad-version-missing": "no HTTP/0.9 simple requests",
    # Limits (default 8 KiB request line, 64 KiB / 100 header fields, 16 MiB
    # body) are fastcore's; llhttp has none (the oversize body case simply
    # waits for its bytes there).
    "limit-request-line-too-long": "414 past max_request_line",
    "limit-too-many-header-fields": "431 past max_headers",
    "limit-header-section-too-large": "431 past max_header_bytes",
    "limit-content-length-too-large": "413 past max_body, before the body",
    # RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 request must be
    # treated as faulty framing; llhttp applies it.
    "smuggle-te-http10": "Transfer-Encoding on HTTP/1.0",
}

# fastcore accepts these; llhttp refuses them.
MORE_LENIENT_THAN_HTTPTOOLS = {
    # A method is any token and is case-sensitive (RFC 9110 section 9.1);
    # llhttp only knows a fixed list of registered methods. An unknown
    # method is the application's 405/501 to answer, not a framing error.
    "method-lowercase-token": "any token is a method",
    # OWS around a field value is not part of it (RFC 9110 section 5.5), so
    # "chunked<HTAB>" is "chunked"; llhttp refuses a trailing HTAB there (a
    # trailing SP it accepts). Every RFC-conforming hop reads it as chunked.
    "chunked-te-trailing-htab": "OWS is trimmed from field values",
}


@dataclass
class Outcome:
    """What a parser made of one stream: the complete requests, then an error."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    refused: bool = False
    status: int | None = None
    detail: str = ""


class Implementation(Protocol):
    name: str

    def parse(self, pieces: list[bytes]) -> Outcome: ...


def _text(data: bytes) -> str:
    return data.decode("latin-1")


class Fastcore:
    name = "fastcore"

    def parse(self, pieces: list[bytes]) -> Outcome:
        outcome = Outcome()
        parser = HttpRequestParser()
        body = b""
        try:
            for piece in pieces:
                parser.feed(piece)
                while (event := parser.next_event()) != NEED_DATA:
                    if event == HEAD:
                        body = b""
                    elif event == BODY:
                        assert parser.body_chunk
                        body += parser.body_chunk
                    elif event == END:
                        head = parser.head
                        assert head is not None
                        outcome.requests.append(
                            {
                                "method": head.method,
                                "target": head.target,
                                "version": f"1.{head.version_minor}",
                                "headers": [[_text(n), _text(v)] for n, v in head.headers],
                                "body": _text(body),
                                "keep_alive": head.keep_alive,
                            }
                        )
        except ParserError as exc:
            outcome.refused = True
            outcome.status = exc.status_code
            outcome.detail = exc.detail
        return outcome


class _HttptoolsCallbacks:
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.headers: list[list[str]] = []
        self.body = b""
        self.in_trailers = False

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.body = b""
        self.in_trailers = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        # llhttp reports trailer fields through the same callback; fastcore
        # validates and drops them. llhttp keeps trailing OWS in values.
        if not self.in_trailers:
            self.headers.append([_text(name.lower()), _text(value.strip(b" \t"))])

    def on_headers_complete(self) -> None:
        self.in_trailers = True

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.outcome.requests.append(
            {
                "method": self.parser.get_method().decode("latin-1"),
                "target": _text(self.url),
                "version": self.parser.get_http_version(),
                "headers": self.headers,
                "body": _text(self.body),
                "keep_alive": self.parser.should_keep_alive(),
            }
        )


class Httptools:
    name = "httptools"

    def parse(self, pieces: list[bytes]) -> Outcome:
        outcome = Outcome()
        callbacks = _HttptoolsCallbacks(outcome)
        try:
            for piece in pieces:
                callbacks.parser.feed_data(piece)
        except httptools.HttpParserError as exc:
            outcome.refused = True
            outcome.detail = str(exc)
        return outcome


def _raw(case: str) -> bytes:
    return (HERE / "cases" / f"{case}.http").read_bytes()


def _check(outcome: Outcome, expected: dict[str, Any], implementation: str) -> None:
    assert outcome.requests == expected.get("requests", [])
    if "status" in expected:
        assert outcome.refused, "the request must be refused"
        assert len(outcome.requests) == expected.get("complete", 0)
        if implementation == "fastcore":
            assert outcome.status == expected["status"]
            assert expected["detail"] in outcome.detail
    else:
        assert not outcome.refused, outcome.detail


def test_every_case_has_an_expectation() -> None:
    assert CASES, "the corpus is empty"
    assert sorted(EXPECTED) == CASES
    listed = set(STRICTER_THAN_HTTPTOOLS) | set(MORE_LENIENT_THAN_HTTPTOOLS)
    assert listed <= set(CASES)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("implementation", [Fastcore(), Httptools()], ids=lambda i: i.name)
def test_case(implementation: Implementation, case: str) -> None:
    raw = _raw(case)
    expected = EXPECTED[case]
    outcome = implementation.parse([raw])
    if implementation.name == "httptools" and case in STRICTER_THAN_HTTPTOOLS:
        assert "status" in expected
        assert not outcome.refused, "httptools now refuses it: drop the exception"
        return
    if implementation.name == "httptools" and case in MORE_LENIENT_THAN_HTTPTOOLS:
        assert "status" not in expected
        assert outcome.refused, "httptools now accepts it: drop the exception"
        return
    _check(outcome, expected, implementation.name)


@pytest.mark.parametrize("case", CASES)
def test_case_fed_byte_by_byte(case: str) -> None:
    raw = _raw(case)
    outcome = Fastcore().parse([raw[i : i + 1] for i in range(len(raw))])
    _check(outcome, EXPECTED[case], "fastcore")
