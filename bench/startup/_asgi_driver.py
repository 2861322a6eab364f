"""The ASGI driver every ASGI app of this folder runs: lifespan startup, one GET /, shutdown.

One text for every framework, so they are asked the same way, on a plain
asyncio loop.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def serve_one(asgi_app: Any) -> tuple[int, bytes]:
    """Start ``asgi_app`` through its lifespan, answer one ``GET /``, stop it."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan_scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    lifespan = asyncio.ensure_future(asgi_app(lifespan_scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    if (await from_app.get())["type"] != "lifespan.startup.complete":
        raise SystemExit("lifespan startup failed")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    requests = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return requests.pop() if requests else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asgi_app(scope, receive, send)
    await to_app.put({"type": "lifespan.shutdown"})
    await from_app.get()
    await lifespan
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body
