"""Middleware around WebSocket handshakes, and HTTP answers to refused ones.

The App's middleware, and a route group's, run for WebSocket routes too: the
handshake goes through the chain as the ``GET`` request it is, and the chain's
innermost layer runs the WebSocket endpoint, for the whole life of the
socket. So ``request.session`` and ``request.user`` are there for the
handler, and a middleware that answers by itself (a 429 from a rate limit, a
401 from an auth check) refuses the handshake with its response. What a
middleware adds to the response once the handler returns (a ``Set-Cookie``,
security headers) goes nowhere: the 101 left long before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastcore.responses import Response

if TYPE_CHECKING:
    from fastcore.middleware_base import Handler, MiddlewareSpec
    from fastcore.requests import Request
    from fastcore.types import WebSocketConnection, WebSocketEndpoint

__all__ = ["refuse_with", "websocket_chain"]

_CONNECTING = 0

#: Answers an exception raised before the handshake was answered.
Respond = Callable[["Request", BaseException], Awaitable[Response]]

#: Runs an endpoint for a handshake through a middleware chain.
ChainRunner = Callable[["Request", "WebSocketConnection", "WebSocketEndpoint"], Awaitable[None]]


def refuse_with(connection: WebSocketConnection, response: Response) -> None:
    """Refuse a handshake not answered yet with ``response`` (a non-error status: 403)."""
    if connection.state != _CONNECTING:
        return
    status = response.status_code
    body = response.body if isinstance(response.body, bytes) else b""
    content_type = response.headers.get("content-type") or "text/plain; charset=utf-8"
    if not 400 <= status <= 599:
        # A redirect (to a login page, say) means nothing to a WebSocket client.
        status, body, content_type = 403, b"WebSocket refused", "text/plain; charset=utf-8"
    connection.reject(status, body, content_type)


def websocket_chain(specs: Sequence[MiddlewareSpec], respond: Respond) -> ChainRunner:
    """Build ``specs`` once around a layer that runs the handshake's endpoint.

    The returned ``run(request, connection, endpoint)`` passes the handshake
    through the middleware; an exception before the handshake is answered is
    answered by ``respond`` (the App's error handlers), one after it
    propagates (the server closes with 1011).
    """

    async def innermost(request: Request) -> Response:
        state: Any = request.state
        connection, endpoint = state.websocket_handshake
        await endpoint(request, connection)
        # Discarded (the 101 or the refusal went out already); a fresh one
        # each time since middleware may change it.
        return Response(status_code=101)

    chain: Handler = innermost
    for spec in reversed(specs):
        chain = spec.build(chain)

    async def run(
        request: Request, connection: WebSocketConnection, endpoint: WebSocketEndpoint
    ) -> None:
        state: Any = request.state
        state.websocket_handshake = (connection, endpoint)
        try:
            response = await chain(request)
        except Exception as exc:
            if connection.state != _CONNECTING:
                raise
            response = await respond(request, exc)
        refuse_with(connection, response)

    return run
