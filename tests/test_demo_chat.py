"""The demo's chat rooms: two ``fastcore run`` processes share a room through the real
Redis (skipped without it), and the routes refuse bad messages."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import orjson
import pytest

from tests.server.server_process import ServerProcess

websockets_client = pytest.importorskip("websockets.asyncio.client", reason="the client")
pytest.importorskip("redis", reason="the Redis broadcast backend")


def redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


CHAT_APP = """
from fastcore import App
from examples.demo.chat import install_chat

app = App(security=False)
install_chat(app, "redis://127.0.0.1:6379/0", prefix={prefix!r})
"""


def run(coro: object) -> object:
    return asyncio.run(asyncio.wait_for(coro, 15))  # type: ignore[arg-type]


async def joined(url: str) -> object:
    """A socket to the room whose subscription is live: its own message came back."""
    ws = await websockets_client.connect(url)
    marker = f"joined {uuid.uuid4().hex}"
    await ws.send(orjson.dumps({"text": marker}).decode())
    while orjson.loads(await ws.recv())["text"] != marker:
        pass
    return ws


async def next_text(ws: object) -> str:
    while True:
        message = orjson.loads(await ws.recv())  # type: ignore[attr-defined]
        if not message["text"].startswith("joined "):
            return str(message["text"])


@pytest.mark.skipif(not redis_available(), reason="needs the Redis server on 127.0.0.1:6379")
def test_two_server_processes_share_a_room_through_redis(tmp_path: Path) -> None:
    prefix = f"test-demo-chat-{uuid.uuid4().hex}:"
    (tmp_path / "chat_app.py").write_text(CHAT_APP.format(prefix=prefix))
    first = ServerProcess(tmp_path, "chat_app:app", "--port", "0")
    second = ServerProcess(tmp_path, "chat_app:app", "--port", "0")
    try:

        async def talk() -> list[str]:
            alice = await joined(f"ws://127.0.0.1:{first.port}/ws/chat/lobby")
            bob = await joined(f"ws://127.0.0.1:{second.port}/ws/chat/lobby")
            await alice.send('{"text": "hi from process one"}')  # type: ignore[attr-defined]
            heard_by_bob = await next_text(bob)
            await bob.send('{"text": "hello from process two"}')  # type: ignore[attr-defined]
            # Alice hears her own message first (she is in the room too).
            heard_by_alice = [await next_text(alice), await next_text(alice)]
            await alice.close()  # type: ignore[attr-defined]
            await bob.close()  # type: ignore[attr-defined]
            return [heard_by_bob, *heard_by_alice]

        assert run(talk()) == [
            "hi from process one",
            "hi from process one",
            "hello from process two",
        ]
        assert first.stop() == 0 and second.stop() == 0
    finally:
        first.kill()
        second.kill()


def test_the_room_ignores_what_is_not_a_message() -> None:
    from fastcore.testing import TestClient
    from tests.demo_support import demo_app

    with TestClient(demo_app()) as client:
        page = client.get("/chat/lobby")
        assert page.status_code == 200 and 'data-socket="/ws/chat/lobby"' in page.text
        with client.websocket_connect(
            "/ws/chat/lobby", headers={"origin": "http://testserver"}
        ) as ws:
            for bad in [
                "not json",
                '{"text": ""}',
                '{"text": 5}',
                orjson.dumps({"text": "x" * 501}),
            ]:
                ws.send_text(bad if isinstance(bad, str) else bad.decode())
            ws.send_text('{"text": "a real message"}')
            assert ws.receive_json() == {"author": "guest", "text": "a real message"}
        assert client.get("/chat/not%20a%20slug").status_code == 404
