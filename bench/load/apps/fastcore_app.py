"""The benchmark endpoints as a fastcore application.

Served by the harness with fastcore's bundled server, one worker::

    fastcore run fastcore_app:app --host 127.0.0.1 --port 8000 --workers 1

The server adds ``Server`` and ``Date``.
"""

from __future__ import annotations

from fastcore import App, JSONResponse, PlainTextResponse

app = App()


@app.get("/plaintext")
async def plaintext() -> PlainTextResponse:
    """Answer the fixed greeting as text/plain."""
    return PlainTextResponse("Hello, World!")


@app.get("/json")
async def json() -> JSONResponse:
    """Answer the greeting as a JSON object, serialized per request."""
    return JSONResponse({"message": "Hello, World!"})
