"""The demo app: an HTML page, a JSON endpoint, typed route parameters and notes in a database.

Run it with ``python -m examples.demo`` (development mode: debug on, a secret key
generated for the run). It renders templates, so the security stack is on:
sessions, CSRF tokens in its forms, security headers, trusted hosts. Served
in production (``fastcore run examples.demo.app:app``) it needs
``FASTCORE_SECRET_KEY`` and ``FASTCORE_ALLOWED_HOSTS``. The notes live in a
SQLite file in the system's temporary directory (or in ``DATABASE_URL``),
created at startup, so the demo needs no setup. With ``REDIS_URL`` set, its
sessions, rate limits and cache live in Redis, so several instances can serve
it behind a load balancer (examples/demo/shared_state.py, docs/deployment.md).
"""

from __future__ import annotations

import datetime
import os
import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qs

from sqlalchemy import select

from examples.demo.accounts import install_accounts
from examples.demo.admin import install_admin
from examples.demo.chat import install_chat
from examples.demo.contact import contact
from examples.demo.models import MAX_NOTE_LENGTH, Note
from examples.demo.shared_state import cache_backend, security_middleware
from examples.demo.typed_api import notes_api
from fastcore import App, PlainTextResponse, RedirectResponse, Request, RouteGroup, Settings, abort
from fastcore.cache import Caching, cache_page
from fastcore.health import Health
from fastcore.middleware.csrf import csrf_exempt
from fastcore.orm import Database, paginate

HERE = Path(__file__).parent
DEMO_DATABASE = Path(tempfile.gettempdir()) / "fastcore-demo.sqlite3"

REDIS_URL = os.environ.get("REDIS_URL")
REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "fastcore-demo:")

settings = Settings.from_env(template_folders=[str(HERE / "templates")])
app = App(settings=settings, middleware=security_middleware(settings, REDIS_URL, REDIS_PREFIX))
app.install(Caching(cache_backend(REDIS_URL, REDIS_PREFIX)))
app.install(Health())  # /livez, and /readyz: the database (and Redis) answer
app.static("/static", HERE / "static")  # the stylesheet (docs/static-files.md)
database = Database(os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{DEMO_DATABASE}")
database.init_app(app)


@app.on_startup
async def create_tables() -> None:
    """Create the demo's tables on first start (a real app would use migrations)."""
    await database.create_all()


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
@cache_page(60)
async def square(request: Request, number: int):
    """A typed path parameter: ``number`` arrives as an int (404 for non-digits).

    The answer is cached for a minute (``x-cache: hit`` on the next ones).
    """
    if number > 1_000_000:
        abort(400, "number must be at most 1000000")
    return {"number": number, "square": number * number}


@api.get("/items/{item_id:uuid}", name="item")
def item(item_id: uuid.UUID):
    """A sync handler (runs in the thread pool) with a UUID parameter."""
    return {"id": item_id, "kind": type(item_id).__name__}


@api.post("/echo", name="echo")
@csrf_exempt  # a JSON echo acts for no one: there is nothing for a forged request to do
async def echo(request: Request):
    """Echo a JSON body back; malformed JSON answers 400."""
    return {"received": await request.json()}


async def render_notes(request: Request, text: str = "", error: str = "", status: int = 200):
    """The notes page: the form, then one page of notes, newest first."""
    page = await paginate(
        request.db, select(Note).order_by(Note.id.desc()), request=request, default_size=20
    )
    return app.render(
        "notes.html",
        status_code=status,
        page=page,
        text=text,
        error=error,
        max_length=MAX_NOTE_LENGTH,
    )


@app.get("/notes", name="notes")
async def list_notes(request: Request):
    """List the notes (paginated with ``?page=``) under a form to add one."""
    return await render_notes(request)


@app.post("/notes", name="create_note")
async def create_note(request: Request):
    """Add a note from the form, then redirect back to the list (303, post/redirect/get)."""
    form = parse_qs(await request.text(), keep_blank_values=True)
    text = form.get("text", [""])[0].strip()
    if not text or len(text) > MAX_NOTE_LENGTH:
        error = f"A note needs 1 to {MAX_NOTE_LENGTH} characters."
        return await render_notes(request, text=text, error=error, status=422)
    request.db.add(Note(text=text))
    return RedirectResponse(app.url_for("notes"), status_code=303)


app.include(api)
app.include(notes_api)
app.include(contact)
install_accounts(app)  # sign-up, login, logout (examples/demo/accounts.py)
install_admin(app)  # /admin for staff users (examples/demo/admin.py)
install_chat(app)  # /chat/{room}: live rooms over WebSockets (examples/demo/chat.py)
