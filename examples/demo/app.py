"""The demo app: an HTML page, a JSON endpoint and typed route parameters.

Run it with ``python -m examples.demo`` (or ``fastcore run examples.demo.app:app``).
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

from fastcore import App, PlainTextResponse, Request, RouteGroup, Settings, abort

HERE = Path(__file__).parent

app = App(settings=Settings.from_env(template_folders=[str(HERE / "templates")]))

api = RouteGroup("/api", name="api")


@app.get("/", name="index")
async def index(request: Request):
    """The home page, rendered from templates/index.html."""
    name = request.query.get("name", "world")
    return app.render("index.html", name=name, now=datetime.datetime.now(datetime.UTC))


@app.get("/hello/{name}", name="hello")
async def hello(name: str):
    """Greet someone by name; the name is escaped by the template."""
    return app.render("hello.html", name=name)


@app.get("/plaintext")
async def plaintext():
    """The smallest possible response (used by the load benchmarks too)."""
    return PlainTextResponse("Hello, World!")


@api.get("/status", name="status")
async def status(request: Request):
    """A JSON endpoint: server time and the client's address."""
    return {
        "status": "ok",
        "time": datetime.datetime.now(datetime.UTC),
        "client": request.client[0] if request.client else None,
    }


@api.get("/squares/{number:int}", name="square")
async def square(number: int):
    """A typed path parameter: ``number`` arrives as an int (404 for non-digits)."""
    if number > 1_000_000:
        abort(400, "number must be at most 1000000")
    return {"number": number, "square": number * number}


@api.get("/items/{item_id:uuid}", name="item")
def item(item_id: uuid.UUID):
    """A sync handler (runs in the thread pool) with a UUID parameter."""
    return {"id": item_id, "kind": type(item_id).__name__}


@api.post("/echo", name="echo")
async def echo(request: Request):
    """Echo a JSON body back; malformed JSON answers 400."""
    return {"received": await request.json()}


app.include(api)
