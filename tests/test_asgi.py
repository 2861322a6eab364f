"""A fastcore App served as an ASGI app by uvicorn, over a real socket."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from fastcore import App, Request, StreamingResponse

uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is a test dependency (ASGI interop)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_with_uvicorn(app: App) -> Iterator[int]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def test_app_runs_under_uvicorn_with_lifespan_and_bodies() -> None:
    events: list[str] = []
    app = App()
    app.on_startup(lambda: events.append("startup"))
    app.on_shutdown(lambda: events.append("shutdown"))

    @app.post("/items/{item_id:int}")
    async def update(request: Request, item_id: int):
        return {"id": item_id, "body": await request.json(), "q": request.query.get("q")}

    @app.get("/stream")
    async def stream():
        async def parts():
            yield "a"
            yield "b"

        return StreamingResponse(parts())

    with serve_with_uvicorn(app) as port:
        assert events == ["startup"]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("POST", "/items/5?q=x%20y", body=json.dumps({"a": 1}))
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read()) == {"id": 5, "body": {"a": 1}, "q": "x y"}
        connection.request("GET", "/stream")
        assert connection.getresponse().read() == b"ab"
        connection.request("GET", "/missing")
        missing = connection.getresponse()
        assert missing.status == 404
        missing.read()
        connection.close()
    assert events == ["startup", "shutdown"]
