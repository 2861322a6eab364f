"""Publish/subscribe channels, in memory (one process) or in Redis (every worker and host).

Example::

    broadcast = Broadcast("redis://127.0.0.1:6379")
    app.on_startup(broadcast.connect)
    app.on_shutdown(broadcast.disconnect)

    @app.websocket("/ws/{room}")
    async def room(ws: WebSocket, room: str):
        await ws.accept()
        async with broadcast.subscribe(room) as events:
            async for event in events:
                await ws.send_text(event.message)

    await broadcast.publish("lobby", "hello")
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol
from urllib.parse import urlsplit

from fastcore.exceptions import ImproperlyConfigured

__all__ = ["Broadcast", "Event", "Subscription"]

_log = logging.getLogger("fastcore.realtime")


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """A message published on a channel."""

    channel: str
    message: str


class Subscription:
    """The events of one channel for one subscriber (an async iterator).

    Its queue is bounded: a subscriber that falls ``max_queue`` events
    behind loses the newest ones (logged), so one slow client cannot grow
    the process without bound.
    """

    __slots__ = ("_queue", "channel", "dropped")

    def __init__(self, channel: str, max_queue: int) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(max_queue)
        #: How many events this subscriber lost to a full queue.
        self.dropped = 0

    def _deliver(self, event: Event | None) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            _log.warning(
                "a subscriber of %r is %d events behind: event dropped",
                self.channel,
                self._queue.qsize(),
            )

    async def get(self) -> Event:
        """The next event (waits for one).

        Raises:
            ConnectionError: the broadcast was disconnected.
        """
        event = await self._queue.get()
        if event is None:
            self._queue.put_nowait(None)  # every later get() sees the end too
            raise ConnectionError("the broadcast is disconnected")
        return event

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        while True:
            try:
                yield await self.get()
            except ConnectionError:
                return


class _Backend(Protocol):
    async def connect(self) -> None: ...
    async def disconnect(self) -> None: ...
    async def subscribe(self, channel: str) -> None: ...
    async def unsubscribe(self, channel: str) -> None: ...
    async def publish(self, channel: str, message: str) -> None: ...


class Broadcast:
    """Channels that fan published messages out to their subscribers.

    Args:
        url: ``memory://`` (one process) or ``redis://host:port/db``
            (``rediss://`` for TLS), through redis-py's asyncio client.
        max_queue: Events each subscriber may fall behind before losing some.

    Raises:
        ImproperlyConfigured: an unknown URL scheme, or redis-py missing.
    """

    def __init__(self, url: str = "memory://", *, max_queue: int = 1000) -> None:
        scheme = urlsplit(url).scheme
        self._subscribers: dict[str, set[Subscription]] = {}
        self.max_queue = max_queue
        self._connected = False
        self._backend: _Backend
        if scheme == "memory":
            self._backend = _MemoryBackend(self._dispatch)
        elif scheme in ("redis", "rediss"):
            self._backend = _RedisBackend(url, self._dispatch)
        else:
            raise ImproperlyConfigured(
                f"Broadcast URL {url!r}: the scheme must be memory://, redis:// or rediss://"
            )

    async def connect(self) -> None:
        """Open the backend (an app's startup hook)."""
        await self._backend.connect()
        self._connected = True

    async def disconnect(self) -> None:
        """Close the backend; every subscription's iteration ends (a shutdown hook)."""
        self._connected = False
        await self._backend.disconnect()
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription._deliver(None)
        self._subscribers.clear()

    async def __aenter__(self) -> Broadcast:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()

    async def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every subscriber of ``channel`` (in every process, with Redis)."""
        if not self._connected:
            raise RuntimeError("call Broadcast.connect() first")
        await self._backend.publish(channel, message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Receive the events of ``channel`` published from now until the block ends."""
        if not self._connected:
            raise RuntimeError("call Broadcast.connect() first")
        subscription = Subscription(channel, self.max_queue)
        subscribers = self._subscribers.get(channel)
        if subscribers is None:
            subscribers = self._subscribers[channel] = set()
            await self._backend.subscribe(channel)
        subscribers.add(subscription)
        try:
            yield subscription
        finally:
            subscribers.discard(subscription)
            if not subscribers and self._subscribers.get(channel) is subscribers:
                del self._subscribers[channel]
                if self._connected:
                    await self._backend.unsubscribe(channel)

    def _dispatch(self, event: Event) -> None:
        for subscription in list(self._subscribers.get(event.channel, ())):
            subscription._deliver(event)


class _MemoryBackend:
    def __init__(self, dispatch: Any) -> None:
        self._dispatch = dispatch

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    async def subscribe(self, channel: str) -> None:
        pass

    async def unsubscribe(self, channel: str) -> None:
        pass

    async def publish(self, channel: str, message: str) -> None:
        self._dispatch(Event(channel, message))


class _RedisBackend:
    """Redis PUBLISH/SUBSCRIBE: one connection per process listens for every channel."""

    def __init__(self, url: str, dispatch: Any) -> None:
        try:
            import redis.asyncio  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImproperlyConfigured(
                "Broadcast over Redis needs redis-py: pip install 'fastcore-web[redis]'"
            ) from exc
        self._url = url
        self._dispatch = dispatch
        self._client: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._confirmations: dict[str, list[asyncio.Future[None]]] = {}

    async def connect(self) -> None:
        import redis.asyncio

        self._client = redis.asyncio.from_url(self._url)
        await self._client.ping()  # fail at startup, not on the first publish
        self._pubsub = self._client.pubsub()

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._pubsub is not None:
            await self._pubsub.aclose()
            self._pubsub = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def subscribe(self, channel: str) -> None:
        # Return once Redis confirms the subscription, so that whatever is
        # published after subscribe() returns reaches this subscriber.
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations.setdefault(channel, []).append(confirmed)
        await self._pubsub.subscribe(channel)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(confirmed, 10.0)

    async def unsubscribe(self, channel: str) -> None:
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: str) -> None:
        await self._client.publish(channel, message)

    async def _read(self) -> None:
        while True:
            try:
                item = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("lost the Redis broadcast subscription; retrying in 1 s")
                await asyncio.sleep(1.0)
                continue
            if item is None:
                continue
            channel = item["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else str(channel)
            if item.get("type") == "subscribe":
                for confirmed in self._confirmations.pop(channel, ()):
                    if not confirmed.done():
                        confirmed.set_result(None)
            elif item.get("type") == "message":
                data = item["data"]
                self._dispatch(
                    Event(channel, data.decode() if isinstance(data, bytes) else str(data))
                )
