"""A one-route fastcore app, started, asked once over ASGI, stopped.

The ASGI driver is _asgi_driver.py, shared by every ASGI app of this folder.
"""

from __future__ import annotations

import asyncio

from _asgi_driver import serve_one
from _report import report

from fastcore import App, PlainTextResponse

app = App()


@app.get("/")
async def hello() -> PlainTextResponse:
    """Answer the greeting as text/plain."""
    return PlainTextResponse("Hello, world!")


if __name__ == "__main__":
    answer = asyncio.run(serve_one(app))
    if answer != (200, b"Hello, world!"):
        raise SystemExit(f"unexpected answer {answer!r}")
    report()
