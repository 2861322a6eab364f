"""A bare ASGI application: the floor any ASGI server adds its own cost to.

Served by uvicorn (``uvicorn-raw``) and by Granian's ASGI interface
(``granian``). It sets only Content-Type and Content-Length: both servers add
``Server`` and ``Date`` themselves, as TechEmpower requires.
"""

from __future__ import annotations

from typing import Any

import orjson

_PLAINTEXT_BODY = b"Hello, World!"
_PLAINTEXT_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"13")],
}
_NOT_FOUND_START = {
    "type": "http.response.start",
    "status": 404,
    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"9")],
}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer ``/plaintext`` and ``/json``; everything else is a 404."""
    if scope["type"] != "http":
        # Lifespan and anything else: nothing to set up.
        return
    path = scope["path"]
    if path == "/plaintext":
        await send(_PLAINTEXT_START)
        await send({"type": "http.response.body", "body": _PLAINTEXT_BODY})
    elif path == "/json":
        # NOTE: serialized on every request, as the TechEmpower rules ask.
        body = orjson.dumps({"message": "Hello, World!"})
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
    else:
        await send(_NOT_FOUND_START)
        await send({"type": "http.response.body", "body": b"Not Found"})
