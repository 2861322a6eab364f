"""Serving a fastcore App under any ASGI 3 server (uvicorn, granian, hypercorn).

The App's own dispatch runs unchanged: the ASGI scope becomes a Request, the
``receive`` channel becomes its body reader, and the Response is sent back as
``http.response.start`` / ``http.response.body`` messages. A ``websocket``
scope goes to the App's WebSocket routes through an
:class:`~fastcore.asgi_websocket.ASGIWebSocketConnection`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastcore.asgi_websocket import ASGIWebSocketConnection
from fastcore.exceptions import ClientDisconnect

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.types import Receive, Scope, Send

__all__ = ["ASGIBodyReader", "handle_asgi"]


class ASGIBodyReader:
    """A request body reader (fastcore.types.BodyReader) fed by ASGI ``receive``."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._chunks: list[bytes] = []
        self._done = False
        self._disconnected = False
        self._listening: asyncio.Future[Any] | None = None

    async def disconnected(self) -> bool:
        """Whether the client left (``http.disconnect``), looking without waiting.

        One ``receive()`` stays pending between calls to hear the disconnect;
        body chunks it brings are kept for the reads.
        """
        if not self._disconnected:
            listening = self._listen()
            await asyncio.sleep(0)  # let a message that is ready arrive
            if listening.done():
                self._listening = None
                self._take(listening.result())
        return self._disconnected

    def read_nowait(self) -> bytes | None:
        """Return the next chunk, ``b""`` at the end, or ``None`` when none is buffered."""
        if self._chunks:
            return self._chunks.pop(0)
        if self._disconnected:
            raise ClientDisconnect()
        return b"" if self._done else None

    def wait(self) -> asyncio.Future[None]:
        """Return a future that completes once the next ASGI message has arrived."""
        return asyncio.ensure_future(self._pull())

    def _listen(self) -> asyncio.Future[Any]:
        if self._listening is None:
            self._listening = asyncio.ensure_future(self._receive())
        return self._listening

    async def _pull(self) -> None:
        message = await self._listen()
        self._listening = None
        self._take(message)

    def _take(self, message: Any) -> None:
        if message["type"] == "http.disconnect":
            self._disconnected = True
            return
        chunk = message.get("body", b"")
        if chunk:
            self._chunks.append(chunk)
        if not message.get("more_body", False):
            self._done = True


async def handle_asgi(app: App, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one ASGI connection scope (http or lifespan) with ``app``."""
    kind = scope["type"]
    if kind == "http":
        await _handle_http(app, scope, receive, send)
    elif kind == "lifespan":
        await _handle_lifespan(app, receive, send)
    elif kind == "websocket":
        await _handle_websocket(app, scope, receive, send)
    else:
        raise RuntimeError(f"unsupported ASGI scope type {kind!r}")


def _raw_path(scope: Scope) -> str:
    raw_path = scope.get("raw_path")
    return (
        raw_path.decode("latin-1") if raw_path else quote(scope["path"], safe="/:@!$&'()*+,;=-._~")
    )


async def _handle_websocket(app: App, scope: Scope, receive: Receive, send: Send) -> None:
    app.build_dispatch()
    message = await receive()
    if message["type"] != "websocket.connect":
        return  # the client left before the handshake reached us
    if not app.websocket_router.routes:
        await send({"type": "websocket.close", "code": 1000})
        return
    request = app.request_class.build(
        "GET",
        _raw_path(scope),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=[(name.lower(), value) for name, value in scope.get("headers", [])],
        body_reader=_NO_BODY,
        client=tuple(scope["client"]) if scope.get("client") else None,
        scheme="https" if scope.get("scheme") == "wss" else "http",
    )
    connection = ASGIWebSocketConnection(scope, receive, send)
    try:
        await app.serve_websocket(request, connection)
    finally:
        await connection.finish()


class _NoBody:
    """The body reader of a WebSocket handshake (it has no body)."""

    def read_nowait(self) -> bytes:
        return b""

    def wait(self) -> asyncio.Future[None]:
        waiter = asyncio.get_running_loop().create_future()
        waiter.set_result(None)
        return waiter


_NO_BODY = _NoBody()


async def _handle_http(app: App, scope: Scope, receive: Receive, send: Send) -> None:
    dispatch = app.build_dispatch()
    path = _raw_path(scope)
    version = scope.get("http_version", "1.1")
    request = app.request_class.build(
        scope["method"],
        path,
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=[(name.lower(), value) for name, value in scope.get("headers", [])],
        body_reader=ASGIBodyReader(receive),
        client=tuple(scope["client"]) if scope.get("client") else None,
        scheme=scope.get("scheme", "http"),
        version_minor=0 if version == "1.0" else 1,
    )
    response = await dispatch(request)
    headers: list[tuple[bytes, bytes]] = list(response.raw_headers)
    head = scope["method"] == "HEAD"
    start = {"type": "http.response.start", "status": response.status_code, "headers": headers}
    if response.body is not None:
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send(start)
        await send({"type": "http.response.body", "body": b"" if head else response.body})
        return
    length = getattr(response, "content_length", None)
    if length is not None:  # a body of known size (a file): the server needs no chunking
        headers = [(name, value) for name, value in headers if name.lower() != b"content-length"]
        headers.append((b"content-length", str(length).encode()))
        start["headers"] = headers
    await send(start)
    iterator: Any = response.body_iterator  # type: ignore[attr-defined]
    if not head:
        async for chunk in iterator:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _handle_lifespan(app: App, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await app.startup()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                raise
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await app.shutdown()
            except Exception as exc:
                await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                raise
            await send({"type": "lifespan.shutdown.complete"})
            return
