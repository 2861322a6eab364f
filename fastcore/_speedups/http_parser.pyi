"""Parse HTTP/1.1 requests incrementally from a connection's bytes (compiled kernel).

The parser does no I/O: the connection protocol :meth:`~HttpRequestParser.feed`\\ s
it what it reads and pulls events with :meth:`~HttpRequestParser.next_event`
until it answers :data:`NEED_DATA`. Every complete request already buffered is
reachable in that one pass (pipelining)::

    parser.feed(data)
    while (event := parser.next_event()) != NEED_DATA:
        if event == HEAD: start(parser.head)
        elif event == BODY: receive(parser.body_chunk)
        else: finish()  # END

It is strict per RFC 9110/9112 and refuses whatever could let two HTTP
processors disagree on message boundaries (request smuggling) by raising
:class:`fastcore.exceptions.ParserError` with the status to answer (400, 413,
414, 431 or 505) and the byte offset in the stream; the parser is then dead and
the connection must be closed. Bare LF line endings are refused (RFC 9112
section 2.2 allows accepting them, but a front-end that does not would frame
the stream differently), and so is whitespace inside chunk extensions (the
RFC allows it, parsers disagree on it). Up to four empty lines before a
request line are skipped.

After a request with ``Connection: upgrade`` + ``Upgrade`` or a ``CONNECT``,
the parser pauses (see :attr:`HttpRequestParser.paused`): the bytes after it
belong to another protocol. The parser keeps parsing requests after one with
``Connection: close``; not serving them is the protocol's job (RFC 9112
section 9.6).
"""

from typing import Any, Final, final

from typing_extensions import disjoint_base

NEED_DATA: Final[int]
"""Nothing more can be parsed until more bytes are fed."""
HEAD: Final[int]
"""A request head is complete: read :attr:`HttpRequestParser.head`."""
BODY: Final[int]
"""A body chunk is ready: read :attr:`HttpRequestParser.body_chunk` (never empty)."""
END: Final[int]
"""The current request, head and body, is complete."""

@disjoint_base
class RequestHead:
    """The parsed request line and header section of one request.

    Instances are created by the parser without calling ``__init__``; a
    subclass (with ``__slots__``) may be passed as ``head_type`` to the parser.
    Strings from the request line are ASCII; header names and values stay bytes.
    """

    method: str
    """The request method, case-sensitive (``"GET"``...)."""
    target: str
    """The request-target exactly as sent."""
    path: str
    """The raw path, still percent-encoded.

    ``"*"`` for ``OPTIONS *``; for an absolute-form target
    (``GET http://host/p?q HTTP/1.1``) the path part (``"/p"``, or ``"/"`` when
    empty); ``"/"`` for a ``CONNECT`` authority-form target.
    """
    query_string: str
    """The raw query after ``?``, ``""`` when absent."""
    version_minor: int
    """``0`` for HTTP/1.0, ``1`` for HTTP/1.1."""
    headers: list[tuple[bytes, bytes]]
    """``(lower-cased name, value)`` pairs in order, values with OWS trimmed."""
    host: bytes | None
    """The Host header value, or the authority of an absolute-form target.

    ``b""`` for an HTTP/1.0 request with neither; ``None`` only on a head
    that was not parsed.
    """
    content_length: int
    """The Content-Length, ``-1`` when absent."""
    chunked: bool
    """The body uses ``Transfer-Encoding: chunked``."""
    keep_alive: bool
    """The connection may stay open after this request (version + Connection)."""
    expect_continue: bool
    """An HTTP/1.1 client sent ``Expect: 100-continue``."""
    upgrade: bool
    """``Connection: upgrade`` together with an ``Upgrade`` header."""
    body_reader: object
    """The request body channel, set by the connection protocol."""
    client: tuple[str, int] | None
    """The peer address, set by the connection protocol."""
    scheme: str
    """``"http"`` or ``"https"``; the parser sets ``"http"``."""
    app: Any
    """The application serving the request, set by its dispatch (``None`` before)."""
    route: Any
    """The matched route, set by the App's dispatch (``None`` before)."""
    path_params: Any
    """The converted path parameters, set by the App's dispatch (``None`` before)."""
    _session: Any
    """The session, set by the session middleware (``None`` before, and while deferred)."""
    _session_factory: Any
    """Makes the session on first read (a visitor without a cookie), or ``None``."""
    _csp_nonce: str | None
    """``""`` under the security headers middleware, the CSP nonce once drawn."""
    def first_header(self, name: bytes) -> bytes | None:
        """The value of the first header called ``name`` (lower-case bytes), or None.

        Reads the header lines in place: ``headers`` is not built.
        """

@final
class HttpRequestParser:
    """An incremental HTTP/1.1 request parser over one connection's bytes.

    Args:
        max_request_line: Longest request line in bytes (CRLF excluded); 414 past it.
        max_header_bytes: Largest header (or trailer) section in bytes: the
            field lines with their CRLFs, not the empty line ending it; 431 past it.
        max_headers: Most header (or trailer) fields; 431 past it.
        max_body: Largest body, checked against Content-Length when the head
            completes and against the sum of chunk sizes; 413 past it.
        head_type: :class:`RequestHead` or a subclass of it to instantiate.

    Raises:
        ValueError: A limit is not positive.
        TypeError: ``head_type`` is not a RequestHead subclass.

    Limits are checked as bytes arrive, so an endless line is refused as soon
    as it passes its limit, not at its end.
    """

    @property
    def head(self) -> RequestHead | None:
        """The head of the request being parsed or just parsed."""
    @property
    def body_chunk(self) -> bytes | None:
        """The body bytes of the last :data:`BODY` event (``None`` after :data:`END`)."""
    @property
    def paused(self) -> bool:
        """Whether parsing stopped after an Upgrade or CONNECT request.

        The bytes after such a request belong to another protocol: the parser
        answers :data:`NEED_DATA` until :meth:`resume` is called; the buffered
        bytes are available from :meth:`unconsumed`.
        """
    def __init__(
        self,
        *,
        max_request_line: int = 8192,
        max_header_bytes: int = 65536,
        max_headers: int = 100,
        max_body: int = 16 * 1024 * 1024,
        head_type: type[RequestHead] = ...,
    ) -> None: ...
    def feed(self, data: bytes) -> None:
        """Append bytes read from the connection to the parser's buffer.

        Bytes fed while nothing is pending are kept by reference, not copied.

        Raises:
            RuntimeError: Called from inside :meth:`next_event`.
        """
    def next_event(self) -> int:
        """Parse as far as the buffered bytes allow and return the next event.

        Returns:
            One of :data:`NEED_DATA`, :data:`HEAD`, :data:`BODY`, :data:`END`.
            A body already buffered whole comes as one :data:`BODY`; a request
            without a body gives :data:`HEAD` then :data:`END`.

        Raises:
            fastcore.exceptions.ParserError: The input is malformed or over a
                limit; every later call raises it again.
        """
    def unconsumed(self) -> bytes:
        """Return the buffered bytes the parser has not consumed yet."""
    def resume(self) -> None:
        """Continue parsing HTTP after an Upgrade/CONNECT request was declined."""

def parse_all(
    data: bytes,
    *,
    max_request_line: int = 8192,
    max_header_bytes: int = 65536,
    max_headers: int = 100,
    max_body: int = 16 * 1024 * 1024,
    head_type: type[RequestHead] = ...,
) -> list[tuple[RequestHead, bytes]]:
    """Parse the complete requests in one buffer into ``(head, body)`` pairs.

    A test and tooling helper: an incomplete trailing request is left out.

    Raises:
        fastcore.exceptions.ParserError: The input is malformed or over a limit.
    """
