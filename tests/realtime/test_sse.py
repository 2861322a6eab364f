"""Server-sent events over a real socket: format, flush per event, keep-alive, Last-Event-ID,
and the generator stopping when the client goes away."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from fastcore import App, Request
from fastcore.realtime import EventSourceResponse, ServerSentEvent
from fastcore.realtime.sse import last_event_id
from fastcore.testing import LiveServer

release = threading.Event()
stopped = threading.Event()
polled: list[Request] = []
seen: list[bool] = []


def make_app() -> App:
    app = App(security=False)

    @app.get("/feed")
    async def feed(request: Request) -> EventSourceResponse:
        start = int(last_event_id(request) or 0) + 1

        async def events() -> AsyncIterator[object]:
            yield ServerSentEvent(comment="welcome", retry=2500)
            for number in range(start, start + 2):
                yield ServerSentEvent({"n": number}, event="tick", id=str(number))
            yield "two\nlines"

        return EventSourceResponse(events())

    @app.get("/held")
    async def held() -> EventSourceResponse:
        async def events() -> AsyncIterator[str]:
            yield "first"
            # The first event must reach the client while this one is pending.
            while not release.is_set():
                await asyncio.sleep(0.01)
            yield "second"

        return EventSourceResponse(events())

    @app.get("/quiet")
    async def quiet() -> EventSourceResponse:
        async def events() -> AsyncIterator[str]:
            yield "hello"
            try:
                await asyncio.sleep(30)
                yield "never"
            finally:
                stopped.set()

        return EventSourceResponse(events(), ping=0.1)

    @app.get("/polling")
    async def polling(request: Request) -> EventSourceResponse:
        polled.append(request)

        async def events() -> AsyncIterator[str]:
            try:
                while not await request.is_disconnected():
                    seen.append(False)
                    yield "tick"
                    await asyncio.sleep(0.02)
                seen.append(True)
            finally:
                stopped.set()

        return EventSourceResponse(events())

    @app.get("/probe")
    async def probe() -> dict[str, bool]:
        return {"disconnected": await polled[-1].is_disconnected()}

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(make_app()) as live:
        yield live


def open_stream(server: LiveServer, path: str, extra: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
    return sock


def read_until(sock: socket.socket, marker: bytes, limit: float = 5.0) -> bytes:
    data = b""
    deadline = time.monotonic() + limit
    while marker not in data and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_events_are_formatted_and_the_stream_ends(server: LiveServer) -> None:
    with open_stream(server, "/feed") as sock:
        data = read_until(sock, b"0\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"content-type: text/event-stream" in head.lower()
    assert b"cache-control: no-cache" in head.lower()
    assert b"x-accel-buffering: no" in head.lower()
    for expected in (
        b": welcome\nretry: 2500\n\n",
        b'event: tick\nid: 1\ndata: {"n":1}\n\n',
        b'event: tick\nid: 2\ndata: {"n":2}\n\n',
        b"data: two\ndata: lines\n\n",
    ):
        assert expected in body


def test_last_event_id_resumes_the_stream(server: LiveServer) -> None:
    with open_stream(server, "/feed", b"Last-Event-ID: 41\r\n") as sock:
        body = read_until(sock, b"0\r\n\r\n")
    assert b"id: 42\n" in body and b"id: 43\n" in body and b"id: 1\n" not in body


def test_each_event_is_flushed_as_it_is_yielded(server: LiveServer) -> None:
    release.clear()
    with open_stream(server, "/held") as sock:
        first = read_until(sock, b"data: first\n\n")
        assert b"data: first\n\n" in first and b"second" not in first
        release.set()
        assert b"data: second\n\n" in read_until(sock, b"data: second\n\n")


def test_keep_alive_comments_and_the_generator_stops_on_disconnect(server: LiveServer) -> None:
    stopped.clear()
    with open_stream(server, "/quiet") as sock:
        assert b"data: hello\n\n" in read_until(sock, b"data: hello\n\n")
        assert b": ping\n\n" in read_until(sock, b": ping\n\n")
    assert stopped.wait(5), "the event generator kept running after the client left"


def test_request_is_disconnected_tells_when_the_client_left(server: LiveServer) -> None:
    stopped.clear()
    seen.clear()
    with open_stream(server, "/polling") as sock:
        assert b"data: tick\n\n" in read_until(sock, b"data: tick\n\n")
        with open_stream(server, "/probe") as other:
            assert b'{"disconnected":false}' in read_until(other, b"}")
    assert stopped.wait(5), "the event generator kept running after the client left"
    assert seen[0] is False
    with open_stream(server, "/probe") as other:
        assert b'{"disconnected":true}' in read_until(other, b"}")


def test_is_disconnected_under_asgi_hears_http_disconnect() -> None:
    app = App(security=False)
    answers: list[bool] = []

    @app.get("/watch")
    async def watch(request: Request) -> str:
        answers.append(await request.is_disconnected())
        await asyncio.sleep(0.01)  # meanwhile the client leaves
        answers.append(await request.is_disconnected())
        return "done"

    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, object]:
        if messages:
            return messages.pop(0)
        return {"type": "http.disconnect"}  # the client left after its request

    async def send(message: object) -> None:
        pass

    scope = {"type": "http", "method": "GET", "path": "/watch", "headers": [], "query_string": b""}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert answers == [False, True]


def test_event_fields_cannot_inject_lines() -> None:
    with pytest.raises(ValueError):
        ServerSentEvent("x", event="tick\ndata: forged").encode()
    with pytest.raises(ValueError):
        ServerSentEvent("x", id="1\r\nevent: forged").encode()
    with pytest.raises(ValueError):
        ServerSentEvent("x", retry=-1).encode()
    # Line breaks in data become separate data lines of the same event.
    assert ServerSentEvent("a\r\nevent: forged").encode() == b"data: a\ndata: event: forged\n\n"
