"""The test client's WebSockets: ``client.websocket_connect(path)``, in-process.

The session drives the App through its ASGI ``websocket`` scope (the path an
ASGI server takes), with two queues for a socket: no server, no frames, so
tests stay fast and deterministic. What the compiled server does on the wire
(frames, close codes of RFC 6455, permessage-deflate, ping timeouts) is
tested over real sockets instead (tests/realtime/test_websocket_server.py).

::

    with TestClient(app) as client:
        with client.websocket_connect("/ws/lobby") as ws:
            ws.send_text("hello")
            assert ws.receive_text() == "lobby: hello"
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import orjson

from fastcore.datastructures import Headers
from fastcore.exceptions import WebSocketDisconnect
from fastcore.types import Message, Scope

if TYPE_CHECKING:
    from fastcore.app import App

__all__ = ["AsyncWebSocketSession", "WebSocketRejected", "WebSocketSession"]

T = TypeVar("T")

#: Seconds a receive waits for the App before the test fails (never hangs).
DEFAULT_TIMEOUT = 5.0


class WebSocketRejected(Exception):
    """The App refused the handshake: its HTTP status, headers and body."""

    def __init__(self, status_code: int, headers: Headers, body: bytes) -> None:
        super().__init__(f"WebSocket handshake refused with {status_code}")
        self.status_code = status_code
        self.headers = headers
        self.body = body


class AsyncWebSocketSession:
    """One in-process WebSocket to an App (``await``-style; see :class:`WebSocketSession`).

    Args:
        app: The App (any ASGI application works).
        scope: The ASGI ``websocket`` scope of the handshake.
        timeout: Seconds each receive waits for the App.
    """

    def __init__(self, app: App, scope: Scope, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.app = app
        self.scope = scope
        self.timeout = timeout
        #: The subprotocol the App selected (None: none).
        self.subprotocol: str | None = None
        #: The headers of the App's 101 answer.
        self.headers = Headers(raw=[])
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Send the handshake and wait for the App's answer.

        Raises:
            WebSocketRejected: the App refused it (with its HTTP response).
        """
        self._to_app.put_nowait({"type": "websocket.connect"})
        self._task = asyncio.ensure_future(self.app(self.scope, self._to_app.get, self._push))
        message = await self._next()
        kind = message["type"]
        if kind == "websocket.accept":
            self.subprotocol = message.get("subprotocol")
            self.headers = Headers(raw=list(message.get("headers") or []))
            return
        self._closed = True
        if kind == "websocket.http.response.start":
            body = b""
            while True:
                part = await self._next()
                body += part.get("body", b"")
                if not part.get("more_body"):
                    break
            await self._finish()
            raw = list(message.get("headers") or [])
            raise WebSocketRejected(message["status"], Headers(raw=raw), body)
        await self._finish()
        # A close before accepting is a 403 to the client (ASGI spec).
        raise WebSocketRejected(403, Headers(raw=[]), b"")

    # -- sending ---------------------------------------------------------------

    async def send_text(self, data: str) -> None:
        """Send a text message."""
        self._send({"type": "websocket.receive", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        self._send({"type": "websocket.receive", "bytes": bytes(data)})

    async def send_json(self, data: Any, *, binary: bool = False) -> None:
        """Send ``data`` as JSON (in a text message, a binary one with ``binary``)."""
        encoded = orjson.dumps(data)
        await (self.send_bytes(encoded) if binary else self.send_text(encoded.decode()))

    def _send(self, message: Message) -> None:
        if self._closed:
            raise RuntimeError("the WebSocket is closed")
        self._to_app.put_nowait(message)

    # -- receiving -------------------------------------------------------------

    async def receive(self) -> str | bytes:
        """The next message the App sent: str (text) or bytes (binary).

        Raises:
            WebSocketDisconnect: the App closed the socket (with its code and reason).
        """
        if self._closed and self._from_app.empty():
            raise WebSocketDisconnect(1006, "the WebSocket is closed")
        message = await self._next()
        if message["type"] == "websocket.send":
            text = message.get("text")
            return text if text is not None else message.get("bytes") or b""
        self._closed = True
        code = message.get("code") or 1000
        reason = message.get("reason") or ""
        # Answer the App's close, as a client would (it sees the disconnect).
        self._to_app.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        raise WebSocketDisconnect(code, reason)

    async def receive_text(self) -> str:
        """The next message, which must be text."""
        message = await self.receive()
        if not isinstance(message, str):
            raise TypeError(f"expected a text message, got {message!r}")
        return message

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary."""
        message = await self.receive()
        if not isinstance(message, bytes):
            raise TypeError(f"expected a binary message, got {message!r}")
        return message

    async def receive_json(self) -> Any:
        """The next message parsed as JSON."""
        return orjson.loads(await self.receive())

    # -- closing ---------------------------------------------------------------

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket (the App sees a disconnect) and wait for the handler to end.

        An exception the App let out is raised here.
        """
        if not self._closed:
            self._closed = True
            self._to_app.put_nowait(
                {"type": "websocket.disconnect", "code": code, "reason": reason}
            )
        await self._finish()

    async def _finish(self) -> None:
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self.timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise AssertionError(
                f"the WebSocket handler did not end within {self.timeout} s of the close"
            ) from None

    # -- internals ---------------------------------------------------------------

    async def _push(self, message: Message) -> None:
        self._from_app.put_nowait(message)

    async def _next(self) -> Message:
        if not self._from_app.empty():
            return self._from_app.get_nowait()
        assert self._task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        done, _ = await asyncio.wait(
            {getter, self._task}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if getter in done:
            return getter.result()
        getter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await getter
        if self._task in done:
            self._task.result()  # the App's exception, if any
            raise WebSocketDisconnect(1006, "the App ended without closing the WebSocket")
        raise AssertionError(f"the App sent nothing within {self.timeout} s")


class WebSocketSession:
    """A synchronous in-process WebSocket, from ``TestClient.websocket_connect``.

    Use it as a context manager: entering sends the handshake (raising
    :class:`WebSocketRejected` if the App refuses it), leaving closes the
    socket and waits for the handler to end.
    """

    def __init__(
        self, session: AsyncWebSocketSession, run: Callable[[Coroutine[Any, Any, Any]], Any]
    ) -> None:
        self._session = session
        self._run = run

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the App selected (None: none)."""
        return self._session.subprotocol

    @property
    def headers(self) -> Headers:
        """The headers of the App's 101 answer."""
        return self._session.headers

    def __enter__(self) -> Self:
        self._run(self._session.connect())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send_text(self, data: str) -> None:
        """Send a text message."""
        self._run(self._session.send_text(data))

    def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        self._run(self._session.send_bytes(data))

    def send_json(self, data: Any, *, binary: bool = False) -> None:
        """Send ``data`` as JSON."""
        self._run(self._session.send_json(data, binary=binary))

    def receive(self) -> str | bytes:
        """The next message (raises WebSocketDisconnect once the App closed)."""
        result: str | bytes = self._run(self._session.receive())
        return result

    def receive_text(self) -> str:
        """The next message, which must be text."""
        result: str = self._run(self._session.receive_text())
        return result

    def receive_bytes(self) -> bytes:
        """The next message, which must be binary."""
        result: bytes = self._run(self._session.receive_bytes())
        return result

    def receive_json(self) -> Any:
        """The next message parsed as JSON."""
        return self._run(self._session.receive_json())

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket and wait for the handler to end."""
        self._run(self._session.close(code, reason))
