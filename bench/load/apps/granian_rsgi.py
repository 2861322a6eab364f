"""The benchmark endpoints on Granian's native RSGI interface.

RSGI skips the ASGI message dicts, so this is the fastest way to run Python
behind Granian; the ``granian`` entry serves ``asgi_raw`` for the ASGI path.
Granian adds ``Server`` and ``Date`` itself.
"""

from __future__ import annotations

from typing import Any

import orjson

_PLAINTEXT_BODY = b"Hello, World!"
_PLAINTEXT_HEADERS = [("content-type", "text/plain")]
_JSON_HEADERS = [("content-type", "application/json")]


async def app(scope: Any, protocol: Any) -> None:
    """Answer ``/plaintext`` and ``/json``; everything else is a 404."""
    path = scope.path
    if path == "/plaintext":
        protocol.response_bytes(200, _PLAINTEXT_HEADERS, _PLAINTEXT_BODY)
    elif path == "/json":
        # NOTE: serialized on every request, as the TechEmpower rules ask.
        protocol.response_bytes(200, _JSON_HEADERS, orjson.dumps({"message": "Hello, World!"}))
    else:
        protocol.response_bytes(404, _PLAINTEXT_HEADERS, b"Not Found")
