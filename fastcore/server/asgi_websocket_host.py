"""Host an ASGI app's WebSockets on the fastcore server (the ``websocket`` scope).

The compiled connection (:mod:`fastcore._speedups.websocket_protocol`) does
the frames, pings, limits and flow control; this module turns its
poll-then-wait surface into the ASGI messages a third-party app (a Starlette
or Django Channels endpoint, say) exchanges: ``websocket.connect`` /
``receive`` / ``disconnect`` in, ``websocket.accept`` / ``send`` / ``close``
and the ``websocket.http.response`` extension (a refusal with an HTTP status)
out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastcore.exceptions import WebSocketDisconnect
from fastcore.types import ASGIApp, Message, Scope

if TYPE_CHECKING:
    from fastcore._speedups.http_parser import RequestHead
    from fastcore.types import WebSocketConnection

__all__ = ["serve_asgi_websocket"]

logger = logging.getLogger("fastcore.server")

_CONNECTING, _OPEN = 0, 1


def _websocket_scope(request: RequestHead, shared: Scope) -> Scope:
    offered = request.first_header(b"sec-websocket-protocol") or b""
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss" if request.scheme == "https" else "ws",
        **shared,
        "subprotocols": [
            item.strip().decode("latin-1") for item in offered.split(b",") if item.strip()
        ],
        "extensions": {"websocket.http.response": {}},
    }


class _Session:
    # One WebSocket between the compiled connection and the ASGI app.

    def __init__(self, connection: WebSocketConnection) -> None:
        self.connection = connection
        self.connected = False
        self.refusal: tuple[int, list[tuple[bytes, bytes]]] | None = None
        self.refusal_body = b""

    async def receive(self) -> Message:
        connection = self.connection
        if not self.connected:
            self.connected = True
            return {"type": "websocket.connect"}
        while True:
            try:
                message = connection.take()
            except WebSocketDisconnect as exc:
                return {"type": "websocket.disconnect", "code": exc.code, "reason": exc.reason}
            except RuntimeError:  # not accepted: the app refused or has not answered yet
                await connection.wait_closed()
                return {"type": "websocket.disconnect", "code": 1006, "reason": ""}
            if message is not None:
                if isinstance(message, str):
                    return {"type": "websocket.receive", "text": message}
                return {"type": "websocket.receive", "bytes": message}
            await connection.wait()

    async def send(self, message: Message) -> None:
        connection = self.connection
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            data: Any = text if text is not None else message.get("bytes")
            if data is None:
                raise RuntimeError("websocket.send without text or bytes")
            if connection.state != _OPEN:
                # ASGI: sending on a closed socket raises (the app sees it gone).
                raise OSError("the WebSocket is closed")
            if connection.send(data):
                await connection.drain()
        elif kind == "websocket.accept":
            headers = [
                (bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
                for name, value in message.get("headers") or ()
            ]
            connection.accept(message.get("subprotocol"), headers)
        elif kind == "websocket.close":
            if connection.state == _CONNECTING:
                connection.reject(403, b"WebSocket refused")
            else:
                connection.close(int(message.get("code") or 1000), message.get("reason") or "")
        elif kind == "websocket.http.response.start":
            self.refusal = (int(message["status"]), list(message.get("headers") or ()))
        elif kind == "websocket.http.response.body":
            if self.refusal is None:
                raise RuntimeError("websocket.http.response.body before its start")
            self.refusal_body += bytes(message.get("body", b""))
            if not message.get("more_body", False):
                self._refuse()
        else:
            raise RuntimeError(f"unexpected ASGI message type {kind!r} on a WebSocket")

    def _refuse(self) -> None:
        assert self.refusal is not None
        status, headers = self.refusal
        content_type = next(
            (bytes(value).decode("latin-1") for name, value in headers if name == b"content-type"),
            "text/plain; charset=utf-8",
        )
        if not 400 <= status <= 599:
            status = 403
        self.connection.reject(status, self.refusal_body, content_type)


async def serve_asgi_websocket(
    app: ASGIApp,
    request: RequestHead,
    connection: WebSocketConnection,
    shared: Scope,
) -> None:
    """Run ``app`` for one WebSocket handshake (the server's ``websocket`` hook).

    ``shared`` holds the scope's fields an ``http`` scope has too (path,
    headers, peers, the lifespan state).

    A handshake the app closes before accepting is refused with 403 (or the
    status of its ``websocket.http.response``); an app that returns leaves
    the socket closed with 1000; an exception is logged and refuses the
    handshake with 500 or closes the socket with 1011.
    """
    session = _Session(connection)
    try:
        await app(_websocket_scope(request, shared), session.receive, session.send)
    except Exception:
        logger.exception("ASGI app failed on the WebSocket %s", request.path)
        if connection.state == _CONNECTING:
            connection.reject(500, b"Internal Server Error")
        else:
            connection.close(1011, "internal error")
        return
    if connection.state == _CONNECTING:
        connection.reject(403, b"WebSocket refused")
    elif connection.state == _OPEN:
        connection.close(1000, "")
