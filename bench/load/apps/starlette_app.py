"""The benchmark endpoints as a Starlette application (served by uvicorn)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def plaintext(request: Request) -> PlainTextResponse:
    """Answer the fixed greeting as text/plain."""
    return PlainTextResponse("Hello, World!")


async def json(request: Request) -> JSONResponse:
    """Answer the greeting as a JSON object, serialized per request."""
    return JSONResponse({"message": "Hello, World!"})


app = Starlette(routes=[Route("/plaintext", plaintext), Route("/json", json)])
