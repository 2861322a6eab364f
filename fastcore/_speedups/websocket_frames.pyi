"""RFC 6455 WebSocket frames (compiled kernel): an incremental parser and a writer.

The parser is I/O-free: feed it the bytes read from a connection with
:meth:`FrameParser.feed` and pull events with :meth:`FrameParser.next_event`
until it answers :data:`NEED_DATA`. It reassembles fragmented messages,
reports control frames (ping, pong, close) the moment they arrive (also
between the fragments of a message), validates text as UTF-8 fragment by
fragment, and enforces frame and message size limits from the frame header,
before the payload is buffered. Every violation raises
:class:`fastcore.exceptions.WebSocketProtocolError` carrying the close code
the RFC requires (1002, 1007 or 1009); the parser is dead afterwards.
"""

from typing import Final, final

NEED_DATA: Final[int]
TEXT: Final[int]
BINARY: Final[int]
PING: Final[int]
PONG: Final[int]
CLOSE: Final[int]

OPCODE_CONTINUATION: Final[int]
OPCODE_TEXT: Final[int]
OPCODE_BINARY: Final[int]
OPCODE_CLOSE: Final[int]
OPCODE_PING: Final[int]
OPCODE_PONG: Final[int]

@final
class FrameParser:
    """Parse the frames one side of a WebSocket receives.

    Args:
        expect_masked: True on a server (every client frame must be masked),
            False on a client (no server frame may be).
        max_frame: The largest frame payload accepted, in bytes (1009 above).
        max_message: The largest reassembled message accepted (1009 above).
    """

    @property
    def expect_masked(self) -> bool:
        """Whether frames must be masked (the parser serves a server)."""
    @property
    def max_frame(self) -> int:
        """The largest frame payload accepted, in bytes."""
    @property
    def max_message(self) -> int:
        """The largest message accepted, in bytes."""
    @property
    def message(self) -> str | bytes | None:
        """The last event's payload: str for TEXT, bytes for the others."""
    @property
    def close_code(self) -> int:
        """The code of the last CLOSE event (1005 when the frame had none)."""
    @property
    def close_reason(self) -> str:
        """The reason of the last CLOSE event ("" when none)."""
    @property
    def buffered(self) -> int:
        """How many received bytes are not parsed yet."""
    @property
    def inflate(self) -> bool:
        """Whether permessage-deflate was negotiated (:meth:`enable_inflate`)."""
    @property
    def inflate_reset(self) -> bool:
        """Whether the peer starts each compressed message afresh (no context takeover)."""
    def enable_inflate(self, no_context_takeover: bool = False) -> None:
        """Accept compressed messages (RSV1, RFC 7692) from now on."""
    def __init__(
        self, *, expect_masked: bool = True, max_frame: int = 1048576, max_message: int = 1048576
    ) -> None: ...
    def feed(self, data: bytes) -> None:
        """Append bytes read from the connection."""
    def next_event(self) -> int:
        """Parse what is buffered up to the next event and return its kind.

        Returns NEED_DATA when more bytes are needed; TEXT, BINARY, PING,
        PONG or CLOSE with :attr:`message` (and, for CLOSE,
        :attr:`close_code` and :attr:`close_reason`) set.

        Raises:
            fastcore.exceptions.WebSocketProtocolError: the peer broke the
                protocol or a limit; close with its ``code``.
        """

def build_frame(
    opcode: int,
    payload: bytes | bytearray | memoryview | str,
    fin: bool = True,
    mask_key: bytes | None = None,
    rsv1: bool = False,
) -> bytes:
    """Serialize one frame (a str payload is encoded as UTF-8).

    Args:
        opcode: One of the ``OPCODE_*`` values.
        payload: The frame's payload.
        fin: Whether this frame ends its message.
        mask_key: 4 bytes to mask the payload with (a client's frames), or None.
        rsv1: Set RSV1 (the first frame of a permessage-deflate compressed message).

    Raises:
        ValueError: an unknown opcode, a control frame over 125 bytes or not
            final, or a mask key that is not 4 bytes.
    """

def build_close(code: int = 1000, reason: str = "", mask_key: bytes | None = None) -> bytes:
    """Serialize a close frame with ``code`` and ``reason`` (1005: an empty close frame).

    Raises:
        ValueError: a code an endpoint may not send, or a reason over 123 bytes.
    """

def apply_mask(data: bytes, mask_key: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``mask_key`` repeated (masking is its own inverse)."""

def valid_close_code(code: int) -> bool:
    """Whether an endpoint may send ``code`` in a close frame (RFC 6455 section 7.4)."""

def accept_key(key: bytes) -> str:
    """The Sec-WebSocket-Accept value answering the client's Sec-WebSocket-Key."""

def valid_key(key: bytes) -> bool:
    """Whether ``key`` is a valid Sec-WebSocket-Key (base64 of 16 bytes)."""

def negotiate_deflate(offers: bytes) -> tuple[str, bool, bool, int] | None:
    """The answer to a ``Sec-WebSocket-Extensions`` offer of permessage-deflate (RFC 7692).

    Returns None when no offer is acceptable, else the response's extension
    value, whether our side resets its context per message, whether the
    client's does, and our window bits.
    """
