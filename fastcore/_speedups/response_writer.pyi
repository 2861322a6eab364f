"""Serialize HTTP responses into single buffers (compiled kernel).

The connection protocol turns each fixed response into one ``bytes`` object
(status line, Date, Server, Content-Length, Connection, the response's raw
headers, then the body) and writes it at once. Streaming responses get their
head from :meth:`ResponseWriter.serialize_stream_head` and their body framed
with :func:`encode_chunk`.
"""

from collections.abc import Callable, Iterable, Mapping
from enum import IntEnum
from typing import Any, Protocol, TypeVar, final

from typing_extensions import disjoint_base

# The C-API capsules through which other kernels cimport this module's functions.
__pyx_capi__: dict[str, Any]

class BodyFraming(IntEnum):
    """How a streaming response body is delimited on the wire."""

    FRAMING_NONE = 0
    """No body bytes at all (HEAD, 1xx, 204, 304)."""
    FRAMING_CHUNKED = 1
    """``Transfer-Encoding: chunked`` (HTTP/1.1)."""
    FRAMING_CLOSE = 2
    """The body ends when the connection closes (HTTP/1.0)."""
    FRAMING_LENGTH = 3
    """A ``Content-Length`` the response states (``StreamingResponse(content_length=...)``)."""

@disjoint_base
class ResponseBase:
    """The data of a fixed or streaming response (``fastcore.responses.Response`` extends it).

    The constructor renders ``content`` with :meth:`render` (in C unless a
    subclass overrides it), takes the Content-Type from ``media_type`` or the
    class attribute of that name (with ``; charset=...`` from the class's
    ``charset`` for ``text/`` types) and encodes ``headers``.

    Args:
        content: The body: ``str`` (encoded with the class charset), bytes-like, or None.
        status_code: The HTTP status.
        headers: Extra headers, as a mapping or a list of ``(name, value)`` str pairs.
        media_type: The Content-Type (the class default when omitted).

    Raises:
        ValueError: A header name or value contains CR or LF.
        TypeError: The content is of a type ``render`` does not take.
    """

    status_code: int
    body: bytes | None

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        media_type: str | None = None,
    ) -> None: ...
    def render(self, content: Any) -> bytes:
        """Turn the content given to the constructor into body bytes."""

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as lower-cased ``bytes`` pairs (a list, mutable in place).

        Never ``Content-Length``, ``Date`` or ``Server``: the writer adds them.
        The security gate may add its headers as pre-encoded lines; reading
        this moves them into the list, so every header is seen here.
        """

    @raw_headers.setter
    def raw_headers(self, value: list[tuple[bytes, bytes]]) -> None: ...

def encode_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[tuple[bytes, bytes]]:
    """Encode ``(name, value)`` str pairs as lower-cased latin-1 ``bytes`` pairs.

    Raises:
        ValueError: A name or value contains CR or LF (response splitting).
    """

@final
class PreparedHeaders:
    """Headers encoded and checked once, for responses made many times (a static file's).

    ``headers`` (a mapping or ``(name, value)`` str pairs) are lower-cased,
    latin-1 encoded and checked as :func:`encode_headers` does, then kept as
    ready header lines.

    Raises:
        ValueError: A header is invalid (see :func:`check_header`), or is
            ``Content-Length`` / ``Transfer-Encoding``: the writer frames the
            body itself.
    """

    @property
    def lines(self) -> bytes:
        """Every header as ``name: value\\r\\n``."""
    @property
    def pairs(self) -> tuple[tuple[bytes, bytes], ...]:
        """The same headers as ``(name, value)`` bytes pairs."""
    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> None: ...

_R = TypeVar("_R", bound=ResponseBase)

def prepared_response(cls: type[_R], status_code: int, body: bytes, headers: PreparedHeaders) -> _R:
    """A ``cls`` response of ``body`` whose headers are exactly ``headers``.

    No constructor runs and nothing is encoded: the writer copies the
    prepared lines. Reading ``raw_headers`` gives them as pairs, so
    middleware sees (and may change) them as usual.
    """

def check_header(name: bytes, value: bytes) -> None:
    """Raise ValueError unless ``name: value`` is a valid response header line.

    The name must be a non-empty token (RFC 9110 section 5.1); the value may
    hold no control byte but HTAB: no NUL, CR or LF (section 5.5). The writer
    applies the same check to every raw header it serializes.
    """

def register_json_render(
    render: Callable[[Any, Any], bytes],
    dumps: Callable[..., bytes],
    default: Callable[[Any], Any],
    option: int,
) -> None:
    """Declare that ``render(self, content)`` is ``dumps(content, default=default, option=option)``.

    A response class whose ``render`` is that method then renders through a
    direct call of ``dumps``, without the Python frame.
    """

class _ResponseLike(Protocol):
    @property
    def status_code(self) -> int: ...
    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]: ...
    @property
    def body(self) -> bytes | None: ...

@final
class ResponseWriter:
    """A serializer of responses, holding the pre-encoded Server line.

    Args:
        server_header: The ``Server`` header value, or ``None``/``""`` to send none.

    Raises:
        ValueError: The server header contains a line break.
    """

    def __init__(self, server_header: str | None = "fastcore") -> None: ...
    def serialize(
        self, response: _ResponseLike, version_minor: int, keep_alive: bool, head_request: bool
    ) -> bytes:
        """Serialize a fixed response (``body`` is bytes) into one buffer.

        Adds ``date``, ``server``, ``content-length`` and, when the connection
        closes, ``connection: close`` (``connection: keep-alive`` for an
        HTTP/1.0 client that keeps it open). A HEAD answer keeps the
        Content-Length but no body; 1xx, 204 and 304 get neither. The writer
        frames the body itself: a ``content-length`` or ``transfer-encoding``
        among the raw headers is dropped (here and in
        :meth:`serialize_stream_head`), except a Content-Length stated by a
        HEAD answer or a 304.

        Raises:
            TypeError: The body is ``None`` (a streaming response) or a raw
                header is not a pair of ``bytes``.
            ValueError: A header contains CR or LF, or the status is not 100-999.
        """

    def serialize_stream_head(
        self,
        response: _ResponseLike,
        version_minor: int,
        keep_alive: bool,
        head_request: bool,
        content_length: int = -1,
    ) -> bytes:
        """Serialize the head of a streaming response.

        A body of known size (``content_length`` >= 0) is announced with a
        ``content-length`` and sent as it is (``FRAMING_LENGTH``). Otherwise
        HTTP/1.1 bodies are sent chunked (``transfer-encoding: chunked``);
        HTTP/1.0 bodies end with the connection (``connection: close``).
        """

    def error(self, status_code: int, detail: str, keep_alive: bool = False) -> bytes:
        """Serialize a short ``text/plain`` error response (closing by default)."""

def stream_framing(status_code: int, version_minor: int, head_request: bool) -> int:
    """Tell how a streaming body is delimited: a :class:`BodyFraming` value."""

def encode_chunk(data: bytes) -> bytes:
    """Frame one chunk of a chunked body: size in hex, CRLF, data, CRLF."""

def refresh_date() -> str:
    """Recompute the cached ``Date`` header (done once a second by the server)."""
