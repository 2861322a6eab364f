"""The WebSocket API through the test client (in-process, over the ASGI scope):
binding like GET handlers (Depends, query), middleware and route groups,
message limits, and ``client.websocket_connect`` itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated

import pytest

from fastcore import App, Depends, Request, Response, RouteGroup, Settings, abort
from fastcore.exceptions import WebSocketDisconnect
from fastcore.middleware_base import FunctionMiddleware
from fastcore.realtime import WebSocket
from fastcore.testing import AsyncTestClient, TestClient, WebSocketRejected

EVENTS: list[str] = []


async def room_guard(request: Request, key: str = "") -> AsyncIterator[str]:
    if key != "open-sesame":
        abort(403, "wrong key")
    EVENTS.append("guard: enter")
    try:
        yield "granted"
    finally:
        EVENTS.append("guard: exit")


async def tagging(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    if request.headers.get("x-block"):
        return Response(b"slow down", status_code=429)
    if request.headers.get("x-redirect"):
        return Response(b"", status_code=302, headers={"location": "/login"})
    request.state.tag = "app-middleware"
    return await call_next(request)


async def group_tagging(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    request.state.group = "group-middleware"
    return await call_next(request)


def build() -> App:
    app = App(
        security=False, settings=Settings(websocket_max_message=100, websocket_message_rate=5)
    )

    app.middleware_function(tagging)

    @app.websocket("/echo/{room}")
    async def echo(ws: WebSocket, room: str, request: Request, times: int = 1) -> None:
        await ws.accept(subprotocol="v1" if "v1" in ws.subprotocols else None)
        await ws.send_json({"tag": request.state.tag, "room": room})
        async for message in ws:
            if message == "close":
                await ws.close(4001, "asked to")
                return
            await ws.send_text(str(message) * times)

    @app.websocket("/guarded")
    async def guarded(ws: WebSocket, access: Annotated[str, Depends(room_guard)]) -> None:
        await ws.accept()
        EVENTS.append(f"handler: {access}")
        await ws.send_text(access)
        await ws.receive_text()

    @app.websocket("/broken")
    async def broken(ws: WebSocket) -> None:
        await ws.accept()
        raise RuntimeError("handler bug")

    group = RouteGroup("/rooms", name="rooms")
    group.add_middleware(FunctionMiddleware, dispatch=group_tagging)

    @group.websocket("/{number:int}", name="room")
    async def room(ws: WebSocket, number: int, request: Request) -> None:
        await ws.accept()
        await ws.send_json(
            {"number": number, "tag": request.state.tag, "group": request.state.group}
        )

    app.include(group)
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    EVENTS.clear()
    with TestClient(build()) as test_client:
        yield test_client


def test_echo_through_the_test_client(client: TestClient) -> None:
    with client.websocket_connect("/echo/lobby?times=2", subprotocols=["v1"]) as ws:
        assert ws.subprotocol == "v1"
        assert ws.receive_json() == {"tag": "app-middleware", "room": "lobby"}
        ws.send_text("ab")
        assert ws.receive_text() == "abab"
        ws.send_bytes(b"\x01")
        assert ws.receive_text() == "b'\\x01'b'\\x01'"
        ws.send_text("close")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert (closed.value.code, closed.value.reason) == (4001, "asked to")


def test_a_query_parameter_that_fails_validation_refuses_with_422(client: TestClient) -> None:
    with pytest.raises(WebSocketRejected) as refused:
        with client.websocket_connect("/echo/lobby?times=many"):
            pass
    assert refused.value.status_code == 422
    assert b"times" in refused.value.body


def test_depends_runs_before_the_handler_and_tears_down_after(client: TestClient) -> None:
    with client.websocket_connect("/guarded?key=open-sesame") as ws:
        assert ws.receive_text() == "granted"
        ws.send_text("done")
    assert EVENTS == ["guard: enter", "handler: granted", "guard: exit"]


def test_an_http_exception_before_accept_refuses_with_its_status(client: TestClient) -> None:
    with pytest.raises(WebSocketRejected) as refused:
        with client.websocket_connect("/guarded?key=wrong"):
            pass
    assert refused.value.status_code == 403
    assert b"wrong key" in refused.value.body
    assert EVENTS == []


def test_a_middleware_answering_by_itself_refuses_the_handshake(client: TestClient) -> None:
    with pytest.raises(WebSocketRejected) as refused:
        with client.websocket_connect("/echo/lobby", headers={"x-block": "1"}):
            pass
    assert (refused.value.status_code, refused.value.body) == (429, b"slow down")
    # A redirect means nothing to a WebSocket client: 403.
    with pytest.raises(WebSocketRejected) as refused:
        with client.websocket_connect("/echo/lobby", headers={"x-redirect": "1"}):
            pass
    assert refused.value.status_code == 403


def test_route_groups_take_websockets_with_their_prefix_name_and_middleware(
    client: TestClient,
) -> None:
    assert client.app.url_for("rooms.room", number=7) == "/rooms/7"
    with client.websocket_connect("/rooms/7") as ws:
        assert ws.receive_json() == {
            "number": 7,
            "tag": "app-middleware",
            "group": "group-middleware",
        }
    with pytest.raises(WebSocketRejected) as refused:
        with client.websocket_connect("/rooms/seven"):
            pass
    assert refused.value.status_code == 404


def test_a_handler_error_closes_with_1011(client: TestClient) -> None:
    with client.websocket_connect("/broken") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
    assert closed.value.code == 1011


def test_a_message_over_the_size_limit_closes_with_1009(client: TestClient) -> None:
    with client.websocket_connect("/echo/big") as ws:
        ws.receive_json()
        ws.send_text("x" * 100)
        assert ws.receive_text() == "x" * 100
        ws.send_text("é" * 51)  # 51 characters, 102 bytes of UTF-8
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1009


def test_a_message_flood_closes_with_1008(client: TestClient) -> None:
    with client.websocket_connect("/echo/flood") as ws:
        ws.receive_json()
        for _ in range(10):  # a burst of one second's worth is 5 messages
            ws.send_text("m")
        replies = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                replies.append(ws.receive_text())
    assert closed.value.code == 1008
    assert 1 <= len(replies) <= 6


def test_the_async_client_speaks_websocket_too() -> None:
    async def talk() -> list[object]:
        async with AsyncTestClient(build()) as client:
            async with client.websocket_connect("/echo/async") as ws:
                first = (await ws.receive_json())["room"]
                await ws.send_json({"a": 1})
                return [first, await ws.receive_text()]

    assert asyncio.run(talk()) == ["async", '{"a":1}']


def test_a_body_parameter_is_refused_when_the_route_is_registered() -> None:
    from fastcore.exceptions import ImproperlyConfigured

    app = App(security=False)
    with pytest.raises(ImproperlyConfigured, match="has no body"):

        @app.websocket("/body")
        async def body(ws: WebSocket, payload: dict[str, int]) -> None: ...
