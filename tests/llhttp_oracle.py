"""llhttp (through httptools) as the parser oracle: the requests it completes, as plain dicts.

Shared by the property test and the fuzz target that compare fastcore's
parser with it; the dict keys are those both sides fill.
"""

from __future__ import annotations

from typing import Any

import httptools


class LlhttpRequests:
    """Feed bytes to httptools' request parser and collect each completed request."""

    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.requests: list[dict[str, Any]] = []
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.in_trailers = False

    def on_message_begin(self) -> None:
        self.url, self.headers, self.body, self.in_trailers = b"", [], b"", False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        # llhttp reports trailers through on_header too and keeps trailing OWS.
        if not self.in_trailers:
            self.headers.append((name.lower(), value.strip(b" \t")))

    def on_headers_complete(self) -> None:
        self.in_trailers = True

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.requests.append(
            {
                "method": self.parser.get_method().decode("latin-1"),
                "target": self.url.decode("latin-1"),
                "version": self.parser.get_http_version(),
                "headers": self.headers,
                "body": self.body,
                "keep_alive": self.parser.should_keep_alive(),
            }
        )
