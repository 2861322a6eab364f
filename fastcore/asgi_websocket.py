"""A WebSocket connection over an ASGI ``websocket`` scope (the App under uvicorn and co.).

:class:`ASGIWebSocketConnection` keeps the contract of
:class:`fastcore.types.WebSocketConnection` (the one the bundled server's
compiled connection keeps), so the same WebSocket endpoints run under any
ASGI server: outgoing messages go through a queue that one Task sends in
order (``send`` stays synchronous for the handler, and ``drain`` waits while
that queue is long), incoming ones are read by another Task into a queue
that ``take`` empties.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from fastcore.exceptions import WebSocketDisconnect
from fastcore.types import Message, Receive, Scope, Send

__all__ = ["ASGIWebSocketConnection"]

CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3

#: Outgoing messages queued before ``send`` asks the handler to ``drain``.
_HIGH_WATER = 64


class ASGIWebSocketConnection:
    """The server side of one WebSocket, over ASGI ``receive`` and ``send``.

    Args:
        scope: The ``websocket`` scope (its ``extensions`` tell whether the
            server lets a refusal carry an HTTP status).
        receive: The ASGI receive channel (``websocket.connect`` already read).
        send: The ASGI send channel.
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self.state = CONNECTING
        self.close_code = 0
        self.close_reason = ""
        self._messages: collections.deque[str | bytes] = collections.deque()
        self._outgoing: asyncio.Queue[Message | None] = asyncio.Queue()
        self._waiter: asyncio.Future[None] | None = None
        self._drained = asyncio.Event()
        self._drained.set()
        self._closed = asyncio.get_running_loop().create_future()
        self._sender = asyncio.create_task(self._send_all())
        self._reader: asyncio.Task[None] | None = None
        self._max_message = 0  # 0: the ASGI server's limit only
        self._rate = 0.0
        self._tokens = 0.0
        self._stamp = 0.0

    # -- the endpoint's side (fastcore.types.WebSocketConnection) ---------------

    def accept(
        self, subprotocol: str | None = None, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        """Answer the handshake and start reading messages."""
        if self.state != CONNECTING:
            raise RuntimeError("the WebSocket was accepted or closed already")
        encoded = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
        ]
        self.state = OPEN
        self._queue({"type": "websocket.accept", "subprotocol": subprotocol, "headers": encoded})
        self._reader = asyncio.create_task(self._read_all())

    def reject(
        self, status_code: int, body: bytes = b"", content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        """Refuse the handshake: with ``status_code`` where the server allows it, else 403."""
        if self.state != CONNECTING:
            raise RuntimeError("only a WebSocket not yet accepted can be refused with HTTP")
        if "websocket.http.response" in self._scope.get("extensions", {}):
            start = {
                "type": "websocket.http.response.start",
                "status": status_code,
                "headers": [(b"content-type", content_type.encode("latin-1"))],
            }
            self._queue(start)
            self._queue({"type": "websocket.http.response.body", "body": body})
        else:
            self._queue({"type": "websocket.close", "code": 1008})
        self._finish(1006, "refused during the handshake")

    def set_limits(self, max_message: int, message_rate: float = 0.0) -> None:
        """Close with 1009 for a message over ``max_message``, 1008 beyond ``message_rate``/s."""
        if max_message <= 0 or message_rate < 0:
            raise ValueError("max_message must be positive and message_rate 0 or more")
        self._max_message = max_message
        self._rate = message_rate
        self._tokens = max(message_rate, 1.0)
        self._stamp = time.monotonic()

    def take(self) -> str | bytes | None:
        """The next received message, or None (raises once closed and empty)."""
        if self._messages:
            return self._messages.popleft()
        if self.state in (CLOSING, CLOSED):
            raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
        if self.state == CONNECTING:
            raise RuntimeError("accept the WebSocket before receiving")
        return None

    def wait(self) -> asyncio.Future[None]:
        """A future done when :meth:`take` has something new to say."""
        waiter = asyncio.get_running_loop().create_future()
        if self._messages or self.state in (CLOSING, CLOSED):
            waiter.set_result(None)
        else:
            self._waiter = waiter
        return waiter

    async def receive(self) -> str | bytes:
        """The next message (raises WebSocketDisconnect once closed and empty)."""
        while True:
            message = self.take()
            if message is not None:
                return message
            await self.wait()

    def iterate(self) -> AsyncIterator[str | bytes]:
        """The received messages, until the socket closes."""
        return _Messages(self)

    def send(self, data: str | bytes) -> bool:
        """Queue a text or binary message; True when the caller should await :meth:`drain`."""
        if self.state != OPEN:
            if self.state == CONNECTING:
                raise RuntimeError("accept the WebSocket before sending")
            raise WebSocketDisconnect(self.close_code or 1006, self.close_reason)
        key = "text" if isinstance(data, str) else "bytes"
        self._queue({"type": "websocket.send", key: data})
        return self._outgoing.qsize() >= _HIGH_WATER

    def drain(self) -> asyncio.Future[None]:
        """A future done when the outgoing queue is short again."""
        return asyncio.ensure_future(self._drained.wait())  # type: ignore[arg-type]

    def ping(self, data: bytes = b"") -> None:
        """ASGI leaves pings to the server: nothing to do."""

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket (before accepting: refuse the handshake)."""
        if self.state == CONNECTING:
            self.reject(403, b"WebSocket refused")
            return
        if self.state != OPEN:
            return
        self._queue({"type": "websocket.close", "code": code, "reason": reason})
        self.close_reason = reason
        self._finish(code, reason)

    def wait_closed(self) -> asyncio.Future[None]:
        """A future done when the connection is over."""
        return self._closed

    async def finish(self) -> None:
        """Send what is queued and stop the reader (when the endpoint returns)."""
        self._outgoing.put_nowait(None)
        with contextlib.suppress(Exception):
            await self._sender
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    # -- internals ---------------------------------------------------------------

    def _queue(self, message: Message) -> None:
        self._outgoing.put_nowait(message)
        if self._outgoing.qsize() >= _HIGH_WATER:
            self._drained.clear()

    def _finish(self, code: int, reason: str) -> None:
        if self.state == CLOSED:
            return
        self.state = CLOSED
        if not self.close_code:
            self.close_code = code
            self.close_reason = reason
        self._wake()
        self._drained.set()
        if not self._closed.done():
            self._closed.set_result(None)

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _over_limits(self, data: str | bytes) -> tuple[int, str] | None:
        # NOTE: the ASGI server read the message already; this only keeps the
        # App's limits the same under every server.
        limit = self._max_message
        # A str has at most 4 bytes of UTF-8 per character: most need no encoding.
        if limit and len(data) * (4 if isinstance(data, str) else 1) > limit:
            size = len(data.encode()) if isinstance(data, str) else len(data)
            if size > limit:
                return 1009, "message too big"
        if self._rate:
            now = time.monotonic()
            burst = max(self._rate, 1.0)
            self._tokens = min(burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            if self._tokens < 1.0:
                return 1008, "message rate limit exceeded"
            self._tokens -= 1.0
        return None

    async def _send_all(self) -> None:
        while True:
            message = await self._outgoing.get()
            if message is None:
                return
            try:
                await self._send(message)
            except Exception:  # the client is gone (the server says so its own way)
                self._finish(1006, "")
                return
            if self._outgoing.qsize() < _HIGH_WATER // 2:
                self._drained.set()

    async def _read_all(self) -> None:
        while self.state == OPEN:
            message: Any = await self._receive()
            kind = message["type"]
            if kind == "websocket.receive":
                text = message.get("text")
                data = text if text is not None else message.get("bytes") or b""
                refusal = self._over_limits(data)
                if refusal is not None:
                    self.close(*refusal)
                    return
                self._messages.append(data)
                self._wake()
            elif kind == "websocket.disconnect":
                self._finish(message.get("code", 1005), message.get("reason") or "")
                return


class _Messages:
    """The async iterator of :meth:`ASGIWebSocketConnection.iterate`."""

    __slots__ = ("_connection",)

    def __init__(self, connection: ASGIWebSocketConnection) -> None:
        self._connection = connection

    def __aiter__(self) -> _Messages:
        return self

    async def __anext__(self) -> str | bytes:
        try:
            return await self._connection.receive()
        except WebSocketDisconnect:
            raise StopAsyncIteration from None
