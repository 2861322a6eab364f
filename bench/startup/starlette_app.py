"""A one-route Starlette app, started, asked once over ASGI, stopped.

FastAPI's floor: FastAPI is built on Starlette. The ASGI driver below is the
same text in every ASGI app of this folder: the lifespan startup, one
``GET /``, the lifespan shutdown, on a plain asyncio loop.
"""

from __future__ import annotations

import asyncio

from _asgi_driver import serve_one
from _report import report
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request: Request) -> PlainTextResponse:
    """Answer the greeting as text/plain."""
    return PlainTextResponse("Hello, world!")


app = Starlette(routes=[Route("/", hello)])


if __name__ == "__main__":
    answer = asyncio.run(serve_one(app))
    if answer != (200, b"Hello, world!"):
        raise SystemExit(f"unexpected answer {answer!r}")
    report()
