"""The benchmark endpoints as a fastcore application on fastcore's own server.

Run as ``python fastcore_app.py HOST PORT``: one worker, through
``fastcore.server.run``. The server adds ``Server`` and ``Date``.
"""

from __future__ import annotations

import sys

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


if __name__ == "__main__":
    from fastcore.server import run

    run(app, host=sys.argv[1], port=int(sys.argv[2]), workers=1)
