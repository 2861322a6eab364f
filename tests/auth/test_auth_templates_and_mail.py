"""Overriding the account pages' templates, the mail backends, and token expiry."""

from __future__ import annotations

import asyncio
import datetime
import email
import io
from pathlib import Path

import pytest

from fastcore import App, ImproperlyConfigured, Settings
from fastcore.auth import Auth, User, auth_routes, create_token
from fastcore.auth.hashers import TEST_HASHER
from fastcore.auth.tokens import authenticate_token
from fastcore.mail import ConsoleMailBackend, EmailMessage, FileMailBackend, MemoryMailBackend
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.middleware_base import Handler, Middleware, MiddlewareSpec
from fastcore.orm import Database, Model
from fastcore.security import default_middleware
from fastcore.testing import TestClient
from tests.auth.support import SECRET
from tests.orm.orm_support import Target


def test_an_app_template_replaces_the_packaged_one(tmp_path: Path) -> None:
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "base.html").write_text(
        "<html><body class=themed>{% block content %}{% endblock %}"
        "<p>signed in: {{ current_user().is_authenticated }}</p></body></html>"
    )
    (tmp_path / "auth" / "password_reset.html").write_text(
        '{% extends "auth/base.html" %}{% block content %}<h1>Own reset page</h1>{% endblock %}'
    )
    app = App(
        settings=Settings(debug=False, template_folders=[str(tmp_path)]),
        middleware=default_middleware(secret_key=SECRET, debug=False, allowed_hosts=["testserver"]),
    )
    Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}").init_app(app)
    auth = Auth(hasher=TEST_HASHER)
    auth.init_app(app)
    app.include(auth_routes(auth))
    with TestClient(app) as client:
        login = client.get("/accounts/login").text
        reset = client.get("/accounts/password/reset").text
    assert "<body class=themed>" in login and "Log in</h1>" in login  # packaged page, own base
    assert "<h1>Own reset page</h1>" in reset
    assert "<p>signed in: False</p>" in reset  # the current_user() template global


def _message() -> EmailMessage:
    return EmailMessage("Hello", "Body text", ["a@example.com"], "site@example.com")


def test_console_and_memory_backends() -> None:
    stream = io.StringIO()
    assert asyncio.run(ConsoleMailBackend(stream).send([_message()])) == 1
    assert "Subject: Hello" in stream.getvalue() and "Body text" in stream.getvalue()
    memory = MemoryMailBackend()
    asyncio.run(memory.send([_message(), _message()]))
    assert len(memory.outbox) == 2


def test_file_backend_writes_private_eml_files(tmp_path: Path) -> None:
    asyncio.run(FileMailBackend(tmp_path / "out").send([_message()]))
    (path,) = (tmp_path / "out").glob("*.eml")
    assert path.stat().st_mode & 0o777 == 0o600
    parsed = email.message_from_bytes(path.read_bytes())
    assert parsed["To"] == "a@example.com" and parsed["Subject"] == "Hello"


def test_header_injection_through_the_subject_is_refused() -> None:
    message = EmailMessage("Hi\r\nBcc: victim@example.com", "x", ["a@example.com"])
    with pytest.raises(ValueError):
        message.to_mime()


def test_expired_tokens_are_refused(target: Target) -> None:
    async def scenario() -> tuple[bool, bool]:
        database = target.database(metadata=Model.metadata)
        async with database:
            await database.create_all()
            async with database.session() as session:
                user = User(username="tokens", password="")
                session.add(user)
                await session.flush()
                live, _ = await create_token(session, user, scopes=["a"])
                expired, _ = await create_token(
                    session, user, expires_in=datetime.timedelta(seconds=-1)
                )
                found_live = await authenticate_token(session, User, live)
                found_expired = await authenticate_token(session, User, expired)
            return found_live is not None, found_expired is not None

    assert asyncio.run(scenario()) == (True, False)


@pytest.mark.parametrize(
    ("name", "scopes"), [("", ["has space"]), ("x" * 101, []), ("", ["s" * 1001])]
)
def test_token_names_and_scopes_are_checked(name: str, scopes: list[str]) -> None:
    async def scenario() -> None:
        await create_token(None, User(id=1), name=name, scopes=scopes)  # type: ignore[arg-type]

    with pytest.raises(ValueError):
        asyncio.run(scenario())


def test_database_set_up_after_auth_fails_at_startup(tmp_path: Path) -> None:
    app = App(settings=Settings(debug=False))
    auth = Auth(hasher=TEST_HASHER, secret_key=SECRET)
    auth.init_app(app)
    Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}").init_app(app)
    with pytest.raises(ImproperlyConfigured, match=r"Database.init_app\(app\) before Auth"):
        with TestClient(app):
            pass


def test_sessions_added_after_auth_fail_at_startup(tmp_path: Path) -> None:
    app = App(settings=Settings(debug=False))
    Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}").init_app(app)
    Auth(hasher=TEST_HASHER, secret_key=SECRET).init_app(app)
    app.add_middleware(SessionMiddleware, secret_key=SECRET)
    with pytest.raises(ImproperlyConfigured, match="SessionMiddleware outside it"):
        with TestClient(app):
            pass


class Combined(Middleware):
    """A middleware running other layers (as the App's default security stack does)."""

    def __init__(self, next: Handler, *, layers: list[MiddlewareSpec]) -> None:
        super().__init__(next)
        self.layers = layers


def test_sessions_inside_a_combined_middleware_after_auth_fail_at_startup(tmp_path: Path) -> None:
    app = App(settings=Settings(debug=False))
    Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}").init_app(app)
    Auth(hasher=TEST_HASHER, secret_key=SECRET).init_app(app)
    layer = MiddlewareSpec(SessionMiddleware, {"secret_key": SECRET})
    app.add_middleware(Combined, layers=[layer])
    with pytest.raises(ImproperlyConfigured, match="SessionMiddleware outside it"):
        with TestClient(app):
            pass
