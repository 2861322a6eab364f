"""A one-route fastcore app, started, asked once over ASGI, stopped.

The ASGI driver below is the same text in every ASGI app of this folder: the
lifespan startup (for fastcore that is ``App.startup()``, which builds the
dispatch), one ``GET /``, the lifespan shutdown, on a plain asyncio loop.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from fastcore import App, PlainTextResponse

app = App()


@app.get("/")
async def hello() -> PlainTextResponse:
    """Answer the greeting as text/plain."""
    return PlainTextResponse("Hello, world!")


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


def report() -> None:
    """Write the module count and this process's peak RSS where the runner asks."""
    path = os.environ.get("STARTUP_BENCH_REPORT")
    if not path:
        return
    with open("/proc/self/status") as status:
        peak_kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(path, "w") as out:
        out.write(f"{len(sys.modules)} {peak_kib}\n")


if __name__ == "__main__":
    answer = asyncio.run(serve_one(app))
    if answer != (200, b"Hello, world!"):
        raise SystemExit(f"unexpected answer {answer!r}")
    report()
