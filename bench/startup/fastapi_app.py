"""A one-route FastAPI app, started, asked once over ASGI, stopped.

The ASGI driver is _asgi_driver.py, shared by every ASGI app of this folder.
"""

from __future__ import annotations

import asyncio

from _asgi_driver import serve_one
from _report import report
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/", response_class=PlainTextResponse)
async def hello() -> str:
    """Answer the greeting as text/plain."""
    return "Hello, world!"


if __name__ == "__main__":
    answer = asyncio.run(serve_one(app))
    if answer != (200, b"Hello, world!"):
        raise SystemExit(f"unexpected answer {answer!r}")
    report()
