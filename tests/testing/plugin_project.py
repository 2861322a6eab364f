"""A small user project, written into pytester's folder, that tests itself with the plugin.

``notesapp`` is what a user would write: the default security stack, a
Database (configured for a development file the tests must never touch),
auth with its login routes, a model and a few pages. ``test_notes`` is the
user's test module, using the plugin's fixtures the way docs/testing.md shows.
"""

from __future__ import annotations

APP = """
import os

from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from fastcore import App, Request, Settings
from fastcore.auth import Auth, auth_routes, login_required
from fastcore.auth.hashers import TEST_HASHER
from fastcore.middleware.csrf import csrf_exempt
from fastcore.orm import Database, IdMixin, Model
from fastcore.responses import JSONResponse
from fastcore.security import default_middleware

SECRET = "plugin-test-secret-key-0123456789abcdef0123"


class Note(IdMixin, Model):
    __tablename__ = "plugin_notes"

    text: Mapped[str] = mapped_column(String(200))


app = App(
    settings=Settings(debug=False),
    middleware=default_middleware(
        secret_key=SECRET, debug=False, allowed_hosts=["testserver", "127.0.0.1"]
    ),
)
# The developer's own database: the tests must never create or touch it.
schema = os.environ.get("NOTES_SCHEMA")
connect_args = {"server_settings": {"search_path": schema}} if schema else {}
database = Database(
    "sqlite+aiosqlite:///" + os.path.join(os.path.dirname(__file__), "dev.sqlite3"),
    engine_options={"connect_args": connect_args},
)
database.init_app(app)
auth = Auth(secret_key=SECRET, hasher=TEST_HASHER)
auth.init_app(app)
app.include(auth_routes(auth))


@app.get("/notes")
async def list_notes(request: Request) -> dict:
    texts = await request.db.scalars(select(Note.text).order_by(Note.id))
    return {"notes": list(texts)}


@app.post("/notes")
@csrf_exempt
async def add_note(request: Request) -> dict:
    data = await request.json()
    request.db.add(Note(text=data["text"]))
    await request.db.flush()
    count = await request.db.scalar(select(func.count()).select_from(Note))
    return {"count": count}


@app.post("/notes/refused")
@csrf_exempt
async def refuse_note(request: Request):
    request.db.add(Note(text="refused"))
    await request.db.flush()
    return JSONResponse({"error": "refused"}, status_code=400)


@app.get("/me")
@login_required
async def me(request: Request) -> dict:
    return {"username": request.user.username}
"""

TESTS = """
import concurrent.futures
import json
import urllib.request

from sqlalchemy import func, select

from fastcore.auth import User
from notesapp import Note


def count(db, model=Note):
    return db.scalar(select(func.count()).select_from(model))


def test_01_the_client_fixture_answers(client):
    assert client.get("/notes").json() == {"notes": []}


def test_02_requests_join_the_test_transaction(client, db):
    db.add(Note(text="from the test"))
    db.commit()
    assert client.get("/notes").json() == {"notes": ["from the test"]}
    assert client.post("/notes", json={"text": "from a request"}).json() == {"count": 2}
    # A refused request rolls back its own savepoint, not the test's rows.
    assert client.post("/notes/refused").status_code == 400
    assert count(db) == 2


def test_03_the_previous_test_was_rolled_back(client, db):
    assert count(db) == 0
    assert client.get("/notes").json() == {"notes": []}


def test_04_db_alone(db):
    db.add(Note(text="alone"))
    db.flush()
    assert count(db) == 1


def test_05_db_listed_before_client(db, client):
    assert count(db) == 0
    assert client.post("/notes", json={"text": "x"}).json() == {"count": 1}


def test_06_live_server_with_concurrent_requests(live_server, db):
    db.add(Note(text="seen by the server"))
    db.commit()

    def post(number):
        request = urllib.request.Request(
            live_server.url + "/notes",
            data=json.dumps({"text": f"concurrent {number}"}).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert list(pool.map(post, range(8))) == [200] * 8
    with urllib.request.urlopen(live_server.url + "/notes", timeout=10) as response:
        notes = json.loads(response.read())["notes"]
    assert notes[0] == "seen by the server"
    assert sorted(notes[1:]) == sorted(f"concurrent {n}" for n in range(8))
    assert count(db) == 9


def test_07_create_user_and_login(client, db, create_user, login):
    anonymous = client.get("/me", headers={"accept": "text/html"}, follow_redirects=False)
    assert anonymous.is_redirect
    user = create_user("ada", email="ada@example.com")
    login(user)
    assert client.get("/me").json() == {"username": "ada"}
    assert count(db, User) == 1


def test_08_users_were_rolled_back_too(db):
    assert count(db, User) == 0
    assert count(db) == 0


def test_09_login_by_username_with_its_password(client, db, create_user, login):
    create_user("grace", password="the right one 123")
    login("grace", password="the right one 123")
    assert client.get("/me").json() == {"username": "grace"}
"""

INI = """
[pytest]
fastcore_app = notesapp:app
"""

PLAIN_APP = """
from fastcore import App

app = App()


@app.get("/")
async def home() -> str:
    return "plain"
"""
