"""Real time: WebSockets, server-sent events and publish/subscribe broadcast (a battery).

- :class:`WebSocket`: what a ``@app.websocket(path)`` handler receives;
- :class:`EventSourceResponse`: a server-sent events stream;
- :class:`Broadcast`: channels in memory or in Redis, so rooms span workers.
"""

from __future__ import annotations

from fastcore.exceptions import WebSocketDisconnect as WebSocketDisconnect
from fastcore.realtime.broadcast import Broadcast as Broadcast
from fastcore.realtime.broadcast import Event as Event
from fastcore.realtime.sse import EventSourceResponse as EventSourceResponse
from fastcore.realtime.sse import ServerSentEvent as ServerSentEvent
from fastcore.realtime.websocket import WebSocket as WebSocket

__all__ = [
    "Broadcast",
    "Event",
    "EventSourceResponse",
    "ServerSentEvent",
    "WebSocket",
    "WebSocketDisconnect",
]
