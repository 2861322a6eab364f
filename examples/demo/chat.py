"""The demo's chat rooms: a live page over WebSockets, with server-sent events as the fallback.

``/chat/{room}`` is the page; its script (static/js/chat.js) opens
``/ws/chat/{room}``, or, where WebSockets are blocked (``?sse``
forces it), listens on ``/chat/{room}/events`` and posts to
``/chat/{room}/messages``. Messages go through a :class:`Broadcast`: in
memory by default, in Redis with ``BROADCAST_URL=redis://...``, so that a
room spans workers and machines.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import orjson

from fastcore import App, Request, RouteGroup, abort
from fastcore.realtime import Broadcast, EventSourceResponse, ServerSentEvent, WebSocket

#: The longest message accepted, in characters.
MAX_MESSAGE = 500


def install_chat(
    app: App, broadcast_url: str | None = None, prefix: str = "demo-chat:"
) -> Broadcast:
    """Add the chat rooms to ``app``, over a broadcast (``BROADCAST_URL`` or in memory).

    ``prefix`` starts the broadcast channels' names (apps sharing a Redis
    keep their rooms apart with it).
    """
    broadcast = Broadcast(broadcast_url or os.environ.get("BROADCAST_URL") or "memory://")
    app.on_startup(broadcast.connect)
    app.on_shutdown(broadcast.disconnect)
    app.include(chat_routes(app, broadcast, prefix))
    return broadcast


def _author(request: Request) -> str:
    try:
        user = request.user
    except Exception:  # an app without accounts
        return "guest"
    return str(getattr(user, "username", "") or "guest")


def _message(author: str, data: Any) -> str | None:
    """The message to publish, or None for anything but ``{"text": "..."}`` of 1-500 characters."""
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    text = data["text"].strip()
    if not text or len(text) > MAX_MESSAGE:
        return None
    return orjson.dumps({"author": author, "text": text}).decode()


def chat_routes(app: App, broadcast: Broadcast, prefix: str) -> RouteGroup:
    """The chat's page, WebSocket, event stream and post routes."""
    chat = RouteGroup(name="chat")

    @chat.get("/chat/{room:slug}", name="room")
    async def room_page(room: str):
        """The live page of a room."""
        return app.render("chat.html", room=room, max_length=MAX_MESSAGE)  # type: ignore[attr-defined]

    @chat.websocket("/ws/chat/{room:slug}", name="socket")
    async def room_socket(ws: WebSocket, room: str, request: Request) -> None:
        """Send every message of the room; publish what the client sends."""
        author = _author(request)
        await ws.accept()
        async with broadcast.subscribe(prefix + room) as events:

            async def forward() -> None:
                async for event in events:
                    await ws.send_text(event.message)

            forwarding = asyncio.create_task(forward())
            try:
                async for raw in ws:
                    try:
                        message = _message(author, orjson.loads(raw))
                    except orjson.JSONDecodeError:
                        message = None
                    if message is not None:
                        await broadcast.publish(prefix + room, message)
            finally:
                forwarding.cancel()

    @chat.get("/chat/{room:slug}/events", name="events")
    async def room_events(room: str) -> EventSourceResponse:
        """The room as server-sent events (the fallback when WebSockets are blocked)."""

        async def stream() -> AsyncIterator[ServerSentEvent]:
            async with broadcast.subscribe(prefix + room) as events:
                yield ServerSentEvent(comment="joined")  # subscribed: the page may post
                async for event in events:
                    yield ServerSentEvent(event.message)

        return EventSourceResponse(stream(), ping=15)

    @chat.post("/chat/{room:slug}/messages", name="post")
    async def room_post(request: Request, room: str) -> dict[str, bool]:
        """Publish a message sent by a page on the fallback (CSRF token in a header)."""
        try:
            data = await request.json()
        except Exception:
            data = None
        message = _message(_author(request), data)
        if message is None:
            abort(422, f'send {{"text": ...}} with 1 to {MAX_MESSAGE} characters')
        await broadcast.publish(prefix + room, message)
        return {"sent": True}

    return chat
