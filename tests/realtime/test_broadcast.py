"""Broadcast channels: in memory, and through the real Redis on 127.0.0.1:6379, where two
servers share a WebSocket room."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Iterator

import pytest

from fastcore import App
from fastcore.exceptions import ImproperlyConfigured
from fastcore.realtime import Broadcast, Event, WebSocket
from fastcore.testing import LiveServer

websockets_client = pytest.importorskip("websockets.asyncio.client", reason="the websockets peer")


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


needs_redis = pytest.mark.skipif(
    not redis_available(), reason="needs the Redis server on 127.0.0.1:6379"
)
REDIS_URL = "redis://127.0.0.1:6379/0"


def run(coro: object) -> object:
    return asyncio.run(asyncio.wait_for(coro, 10))  # type: ignore[arg-type]


async def round_trip(broadcast: Broadcast, channel: str) -> list[Event]:
    async with broadcast.subscribe(channel) as first, broadcast.subscribe(channel) as second:
        await broadcast.publish(channel, "hello")
        await broadcast.publish(channel + "-other", "not for us")
        await broadcast.publish(channel, "world")
        return [await first.get(), await first.get(), await second.get(), await second.get()]


def test_memory_channels_fan_out_to_their_subscribers_only() -> None:
    async def scenario() -> list[Event]:
        async with Broadcast("memory://") as broadcast:
            return await round_trip(broadcast, "room")

    assert run(scenario()) == [Event("room", "hello"), Event("room", "world")] * 2


def test_a_slow_subscriber_loses_events_instead_of_growing_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> tuple[int, int]:
        async with Broadcast("memory://", max_queue=3) as broadcast:
            async with broadcast.subscribe("room") as subscription:
                for number in range(10):
                    await broadcast.publish("room", str(number))
                return subscription.dropped, (await subscription.get()).message == "0"

    assert run(scenario()) == (7, True)
    assert "events behind" in caplog.text


def test_disconnect_ends_every_subscription() -> None:
    async def scenario() -> list[str]:
        broadcast = Broadcast()
        await broadcast.connect()
        seen: list[str] = []

        async def listen() -> None:
            async with broadcast.subscribe("room") as subscription:
                async for event in subscription:
                    seen.append(event.message)

        task = asyncio.create_task(listen())
        await asyncio.sleep(0)
        await broadcast.publish("room", "last")
        await asyncio.sleep(0)
        await broadcast.disconnect()
        await asyncio.wait_for(task, 2)
        return seen

    assert run(scenario()) == ["last"]


def test_bad_urls_and_use_before_connect_are_clear_errors() -> None:
    with pytest.raises(ImproperlyConfigured, match="memory://, redis://"):
        Broadcast("kafka://nowhere")

    async def publish() -> None:
        await Broadcast().publish("room", "x")

    with pytest.raises(RuntimeError, match="connect"):
        run(publish())


@needs_redis
def test_redis_channels_fan_out_between_connections() -> None:
    channel = f"test-{uuid.uuid4().hex}"

    async def scenario() -> list[Event]:
        # Two Broadcast objects: two Redis connections, as two workers have.
        async with Broadcast(REDIS_URL) as listener, Broadcast(REDIS_URL) as publisher:
            assert (
                await round_trip(listener, channel)
                == [
                    Event(channel, "hello"),
                    Event(channel, "world"),
                ]
                * 2
            )
            async with listener.subscribe(channel) as subscription:
                await asyncio.sleep(0.1)  # the SUBSCRIBE reaches Redis first
                await publisher.publish(channel, "from another worker")
                return [await subscription.get()]

    assert run(scenario()) == [Event(channel, "from another worker")]


def chat_app(broadcast: Broadcast) -> App:
    app = App(security=False)
    app.on_startup(broadcast.connect)
    app.on_shutdown(broadcast.disconnect)

    @app.websocket("/rooms/{room}")
    async def room(ws: WebSocket, room: str) -> None:
        await ws.accept()
        async with broadcast.subscribe(room) as events:

            async def forward() -> None:
                async for event in events:
                    await ws.send_text(event.message)

            forwarding = asyncio.create_task(forward())
            try:
                async for message in ws:
                    await broadcast.publish(room, str(message))
            finally:
                forwarding.cancel()

    return app


@pytest.fixture
def two_servers() -> Iterator[tuple[LiveServer, LiveServer]]:
    if not redis_available():
        pytest.skip("needs the Redis server on 127.0.0.1:6379")
    with LiveServer(chat_app(Broadcast(REDIS_URL))) as first:
        with LiveServer(chat_app(Broadcast(REDIS_URL))) as second:
            yield first, second


def test_two_servers_share_a_room_through_redis(
    two_servers: tuple[LiveServer, LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = two_servers
    room = f"room-{uuid.uuid4().hex}"

    async def talk() -> list[str]:
        url_a = first.url.replace("http://", "ws://") + f"/rooms/{room}"
        url_b = second.url.replace("http://", "ws://") + f"/rooms/{room}"
        async with (
            websockets_client.connect(url_a) as alice,
            websockets_client.connect(url_b) as bob,
        ):
            await asyncio.sleep(0.2)  # both servers subscribed in Redis
            await alice.send("hi from server one")
            heard_by_bob = await bob.recv()
            heard_by_alice = await alice.recv()
            await bob.send("hello from server two")
            return [heard_by_bob, heard_by_alice, await alice.recv(), await bob.recv()]

    with caplog.at_level(logging.ERROR):
        assert run(talk()) == [
            "hi from server one",
            "hi from server one",
            "hello from server two",
            "hello from server two",
        ]
    assert "Traceback" not in caplog.text
