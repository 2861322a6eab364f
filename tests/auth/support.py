"""The test app for tests/auth: the security stack, a database, auth, and a few guarded pages."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated, Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from fastcore import App, Depends, Request, Settings
from fastcore.auth import (
    APIToken,
    Auth,
    Group,
    User,
    add_permission,
    add_to_group,
    auth_routes,
    create_permissions,
    create_token,
    current_user,
    login_required,
    permission_required,
    require_permission,
    require_scopes,
    require_user,
    revoke_token,
    scopes_required,
    set_password,
    staff_required,
)
from fastcore.auth.hashers import TEST_HASHER
from fastcore.mail import FileMailBackend
from fastcore.middleware.csrf import csrf_exempt
from fastcore.orm import IdMixin, Model
from fastcore.realtime import WebSocket
from fastcore.security import default_middleware
from tests.orm.orm_support import Target

SECRET = "test-secret-key-for-auth-tests-0123456789abcdef"
PASSWORD = "correct horse battery staple"


class Memo(IdMixin, Model):
    """A model whose permissions the tests grant (``notes.change_memo``)."""

    __tablename__ = "auth_test_memos"
    __app_label__ = "notes"
    text: Mapped[str] = mapped_column(String(100), default="")


def build_app(target: Target, outbox: Path, **auth_options: Any) -> tuple[App, Auth]:
    """The app every auth test drives (through the TestClient or a LiveServer)."""
    app = App(
        settings=Settings(debug=False),
        middleware=default_middleware(
            secret_key=SECRET, debug=False, allowed_hosts=["testserver", "127.0.0.1"]
        ),
    )
    database = target.database(metadata=Model.metadata)
    database.init_app(app)
    auth_options.setdefault("hasher", TEST_HASHER)
    auth = Auth(secret_key=SECRET, mail=FileMailBackend(outbox), **auth_options)
    auth.init_app(app)
    app.include(auth_routes(auth))

    @app.on_startup
    async def create_tables() -> None:
        await database.create_all()
        async with database.session() as session:
            await create_permissions(session, [Memo])

    _add_setup_routes(app, auth)
    _add_guarded_pages(app)
    return app, auth


def _add_setup_routes(app: App, auth: Auth) -> None:
    """Routes the tests use to set up and inspect state (not part of what is tested)."""

    @app.post("/test/users")
    @csrf_exempt
    async def make_user(request: Request) -> dict[str, Any]:
        """Test setup: create a user (and its permissions) directly."""
        data = await request.json()
        user = auth.user_model(
            username=data["username"],
            email=data.get("email"),
            is_staff=data.get("is_staff", False),
            is_superuser=data.get("is_superuser", False),
            is_active=data.get("is_active", True),
        )
        if "password_hash" in data:
            user.password = data["password_hash"]
        else:
            await set_password(auth, user, data.get("password", PASSWORD))
        request.db.add(user)
        await request.db.flush()
        for permission in data.get("permissions", ()):
            await add_permission(request.db, user, permission)
        for group_name, permissions in data.get("groups", {}).items():
            group = await request.db.scalar(select(Group).where(Group.name == group_name))
            if group is None:
                group = Group(name=group_name)
                request.db.add(group)
                await request.db.flush()
                for permission in permissions:
                    await add_permission(request.db, group, permission)
            await add_to_group(request.db, user, group)
        return {"id": user.id}

    @app.post("/test/deactivate")
    @csrf_exempt
    async def deactivate(request: Request) -> None:
        """Test setup: deactivate a user."""
        data = await request.json()
        model = auth.user_model
        user = await request.db.scalar(select(model).where(model.username == data["username"]))
        user.is_active = False

    @app.get("/test/token-digests")
    async def token_digests(request: Request) -> list[str]:
        """Test inspection: what the token table holds."""
        return list(await request.db.scalars(select(APIToken.digest)))

    @app.get("/test/hash/{username}")
    async def password_hash(request: Request, username: str) -> dict[str, str]:
        """Test inspection: a user's stored hash."""
        model = auth.user_model
        user = await request.db.scalar(select(model).where(model.username == username))
        return {"hash": user.password}


def _add_guarded_pages(app: App) -> None:
    """Pages behind the decorators and providers under test."""

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        user = await current_user(request)
        return {"username": user.username, "authenticated": user.is_authenticated}

    @app.websocket("/ws/whoami")
    async def whoami_socket(
        ws: WebSocket, user: Annotated[User, Depends(require_user)], greeting: str = "hello"
    ) -> None:
        # The auth middleware ran for the handshake: the user of the session
        # cookie or the bearer token (no user: the handshake is refused with 401).
        await ws.accept()
        await ws.send_json({"username": user.username, "greeting": greeting})
        await ws.receive_text()

    @app.get("/depends/me")
    async def me_by_depends(user: Annotated[User, Depends(require_user)]) -> dict[str, str]:
        return {"username": user.username}

    @app.get("/depends/memos")
    async def memos_by_depends(
        user: Annotated[User, Depends(require_permission("notes.change_memo"))],
    ) -> dict[str, str]:
        return {"editor": user.username}

    @app.get("/suspends")
    async def suspends(request: Request) -> dict[str, Any]:
        await asyncio.sleep(0.001)  # really suspends: under eager dispatch, a Task from here
        return {"authenticated": request.user.is_authenticated}

    @app.get("/private")
    @login_required
    async def private(request: Request) -> str:
        return f"<p>private page of {request.user.username}</p>"

    @app.get("/memos/edit")
    @permission_required("notes.change_memo")
    async def edit_memos(request: Request) -> str:
        return "<p>memo editor</p>"

    @app.get("/staff")
    @staff_required
    async def staff_page() -> str:
        return "<p>staff only</p>"

    @app.post("/api/tokens")
    @login_required
    async def new_token(request: Request) -> dict[str, Any]:
        data = await request.json()
        raw, token = await create_token(
            request.db, request.user, name=data.get("name", ""), scopes=data.get("scopes", [])
        )
        return {"token": raw, "id": token.id}

    @app.delete("/api/tokens/{token_id:int}")
    @login_required
    async def delete_token(request: Request, token_id: int) -> dict[str, bool]:
        return {"revoked": await revoke_token(request.db, request.user, token_id)}

    @app.get("/api/memos")
    async def read_memos(request: Request) -> dict[str, Any]:
        user = await require_scopes("memos:read")(request)
        return {"memos": [], "user": user.username}

    @app.post("/api/memos")
    @scopes_required("memos:write")
    async def write_memo(request: Request) -> tuple[dict[str, Any], int]:
        return {"saved": True, "user": request.user.username}, 201


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    match = _CSRF.search(html)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)
