"""The WebSocket connection of the bundled server (compiled kernel).

:class:`fastcore._speedups.protocol.HttpProtocol` validates a WebSocket
handshake, hands its transport over to a :class:`WebSocketConnection` and
starts the App's WebSocket endpoint with it (see
:class:`fastcore.types.WebSocketConnection` for the contract). The
connection parses frames with :mod:`fastcore._speedups.websocket_frames`,
answers pings, queues messages for the endpoint, runs the closing handshake,
closes with the RFC's code on a protocol violation, stops reading while the
endpoint lags (or while the client does not read), and pings an idle client,
dropping it when it does not answer in time.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, Final, final

CONNECTING: Final[int]
OPEN: Final[int]
CLOSING: Final[int]
CLOSED: Final[int]

@final
class WebSocketConnection(asyncio.Protocol):
    """The server side of one WebSocket connection.

    Args:
        transport: The connection's transport (its protocol is switched to this one).
        leftover: Bytes read after the handshake's head.
        key: The client's Sec-WebSocket-Key.
        loop: The event loop.
        config: A :class:`fastcore.server.ServerConfig` (its ``websocket_*`` fields).
        on_close: Called once with the connection when it ends.
    """

    handler_task: asyncio.Task[Any] | None
    @property
    def state(self) -> int:
        """CONNECTING, OPEN, CLOSING or CLOSED."""
    @property
    def close_code(self) -> int:
        """The close code (0 while open; 1006 when the connection was lost without one)."""
    @property
    def close_reason(self) -> str:
        """The close reason."""
    @property
    def closed(self) -> bool:
        """Whether the transport is gone."""
    def __init__(
        self,
        transport: Any,
        leftover: bytes = b"",
        *,
        key: str,
        loop: asyncio.AbstractEventLoop,
        config: Any = None,
        on_close: Callable[[WebSocketConnection], object] | None = None,
    ) -> None: ...
    def accept(
        self, subprotocol: str | None = None, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        """Answer the handshake with 101 and start reading frames.

        Raises:
            RuntimeError: accepted or closed already.
            ValueError: a subprotocol or header with a line break.
        """
    def set_limits(self, max_message: int, message_rate: float = 0.0) -> None:
        """Apply the App's limits: a largest message (1009 above; only lowers
        the server's), and messages per second (1008 above; 0 for none)."""
    def reject(
        self, status_code: int, body: bytes = b"", content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        """Refuse the handshake with an HTTP response (4xx/5xx) and close."""
    def take(self) -> str | bytes | None:
        """The next queued message, or None.

        Raises:
            fastcore.exceptions.WebSocketDisconnect: closed and nothing queued.
        """
    def wait(self) -> asyncio.Future[None]:
        """A future done when :meth:`take` has something new to say."""
    def receive(self) -> Awaitable[str | bytes]:
        """A future of the next message (done already when one is queued).

        Raises:
            fastcore.exceptions.WebSocketDisconnect: closed and nothing queued.
        """
    def iterate(self) -> AsyncIterator[str | bytes]:
        """The messages as an async iterator that ends when the socket closes."""
    def send(self, data: str | bytes) -> bool:
        """Send a text (str) or binary message; True: await :meth:`drain`.

        Raises:
            fastcore.exceptions.WebSocketDisconnect: the socket is closing or closed.
        """
    def drain(self) -> asyncio.Future[None]:
        """A future done when the write buffer has room again."""
    def ping(self, data: bytes = b"") -> None:
        """Send a ping."""
    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (before accepting: refuse with 403)."""
    def abort(self) -> None:
        """Drop the connection without a closing handshake."""
    def wait_closed(self) -> asyncio.Future[None]:
        """A future done when the connection is gone."""

#: An awaitable that is done at once with None (what a send that need not
#: wait returns); awaiting it allocates nothing.
DONE: Awaitable[None]
