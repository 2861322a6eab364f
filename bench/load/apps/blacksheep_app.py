"""The benchmark endpoints as a BlackSheep application (served by uvicorn)."""

from __future__ import annotations

from blacksheep import Application, Response, json, text

app = Application()


async def plaintext() -> Response:
    """Answer the fixed greeting as text/plain."""
    return text("Hello, World!")


async def json_greeting() -> Response:
    """Answer the greeting as a JSON object, serialized per request."""
    return json({"message": "Hello, World!"})


app.router.add_get("/plaintext", plaintext)
app.router.add_get("/json", json_greeting)
