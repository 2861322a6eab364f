"""The benchmark endpoints as a Sanic application on Sanic's own server.

Run as ``python sanic_app.py HOST PORT``: a single process (no worker manager),
no access log. Sanic adds neither ``Server`` nor ``Date``, so the handlers do,
as TechEmpower requires.
"""

from __future__ import annotations

import sys

from _http_date import http_date
from sanic import HTTPResponse, Request, Sanic
from sanic.response import json as json_response
from sanic.response import text

app = Sanic("fastcore_bench")


@app.get("/plaintext")
async def plaintext(request: Request) -> HTTPResponse:
    """Answer the fixed greeting as text/plain."""
    return text("Hello, World!", headers={"Server": "sanic", "Date": http_date()})


@app.get("/json")
async def json(request: Request) -> HTTPResponse:
    """Answer the greeting as a JSON object, serialized per request."""
    return json_response(
        {"message": "Hello, World!"}, headers={"Server": "sanic", "Date": http_date()}
    )


if __name__ == "__main__":
    app.run(
        host=sys.argv[1],
        port=int(sys.argv[2]),
        single_process=True,
        access_log=False,
        debug=False,
        motd=False,
    )
