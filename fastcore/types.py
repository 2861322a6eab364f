"""Type aliases and Protocols shared by the framework's layers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any, Protocol

__all__ = [
    "ASGIApp",
    "BodyReader",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "WebSocketConnection",
    "WebSocketEndpoint",
]

Scope = MutableMapping[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyReader(Protocol):
    """The request-body channel a connection protocol attaches to each request.

    The contract is poll-then-wait, so a body that is already buffered is read
    without suspending the handler:

    - ``read_nowait()`` returns the next chunk (non-empty bytes), ``b""`` once
      the body is complete, or ``None`` when nothing is buffered yet;
    - ``wait()`` returns a future that completes when ``read_nowait()`` has
      something new to say (data, the end, or an error to raise).

    The first ``read_nowait()``/``wait()`` sends ``100 Continue`` when the client
    asked for it. Reading resumes the transport when backpressure paused it.
    A client that disconnects mid-body makes ``read_nowait()`` raise
    ``fastcore.exceptions.ClientDisconnect``. A reader may also offer
    ``disconnected()`` (a bool, or an awaitable of one): whether the client
    has gone away, for ``Request.is_disconnected()``.
    """

    def read_nowait(self) -> bytes | None: ...

    def wait(self) -> asyncio.Future[None]: ...


class WebSocketConnection(Protocol):
    """The server side of one WebSocket, as a server hands it to an App.

    The bundled server's is :class:`fastcore._speedups.websocket_protocol.WebSocketConnection`
    (the compiled kernel); the ASGI adapter provides one over ``receive`` and
    ``send``. The contract is poll-then-wait, as for :class:`BodyReader`:

    - ``state``: 0 connecting (handshake pending), 1 open, 2 closing, 3 closed;
    - ``accept(subprotocol, headers)`` answers the handshake with 101;
      ``reject(status, body)`` refuses it with an HTTP response;
    - ``set_limits(max_message, message_rate)`` applies the App's limits
      (close 1009 for a message over ``max_message`` bytes, 1008 beyond
      ``message_rate`` messages per second; 0 for no rate limit);
    - ``take()`` returns the next message (str or bytes) or None when none is
      queued, and raises ``fastcore.exceptions.WebSocketDisconnect`` once the
      socket closed and the queue is empty; ``wait()`` returns a future that
      completes when ``take()`` has something new to say; ``receive()`` is an
      awaitable of the next message (raising ``WebSocketDisconnect`` once
      closed) and ``iterate()`` an async iterator of the messages that ends
      when the socket closes (what ``async for`` over a WebSocket uses);
    - ``send(data)`` sends a text (str) or binary (bytes) message and returns
      True when the caller should await ``drain()`` (flow control);
    - ``close(code, reason)`` starts the closing handshake; ``wait_closed()``
      completes when the connection is gone; ``close_code`` and
      ``close_reason`` tell how it ended.
    """

    @property
    def state(self) -> int: ...

    @property
    def close_code(self) -> int: ...

    @property
    def close_reason(self) -> str: ...

    def accept(
        self, subprotocol: str | None = None, headers: Iterable[tuple[str, str]] = ()
    ) -> None: ...

    def reject(
        self, status_code: int, body: bytes = b"", content_type: str = "text/plain; charset=utf-8"
    ) -> None: ...

    def set_limits(self, max_message: int, message_rate: float = 0.0) -> None: ...

    def take(self) -> str | bytes | None: ...

    def wait(self) -> asyncio.Future[None]: ...

    def receive(self) -> Awaitable[str | bytes]: ...

    def iterate(self) -> AsyncIterator[str | bytes]: ...

    def send(self, data: str | bytes) -> bool: ...

    def drain(self) -> asyncio.Future[None]: ...

    def ping(self, data: bytes = b"") -> None: ...

    def close(self, code: int = 1000, reason: str = "") -> None: ...

    def wait_closed(self) -> asyncio.Future[None]: ...


#: A WebSocket route's endpoint: awaited with the handshake request and its
#: connection (see :meth:`fastcore.app.App.add_websocket_route`).
WebSocketEndpoint = Callable[[Any, WebSocketConnection], Awaitable[None]]
