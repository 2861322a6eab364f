"""Sessions: attacks on the cookie fail, expiry drops sessions, rotation and logout work."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured, Request
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.security import Signer
from fastcore.security.crypto import b64encode
from fastcore.security.session_backends import MemorySessionStore, RedisSessionStore
from fastcore.testing import AsyncTestClient, TestClient
from tests.security.helpers import (
    OTHER_SECRET,
    SECRET,
    delete_prefix,
    redis_available,
    unique_prefix,
)


def session_app(**options: Any) -> App:
    options.setdefault("secret_key", SECRET)
    app = App(middleware=[(SessionMiddleware, options)])

    @app.get("/login/{name}")
    async def login(request: Request, name: str) -> dict[str, Any]:
        request.session.rotate()
        request.session["user"] = name
        return {"id": request.session.id}

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        return {"user": request.session.get("user"), "id": request.session.id}

    @app.get("/logout")
    async def logout(request: Request) -> dict[str, Any]:
        request.session.clear()
        return {}

    @app.get("/big")
    async def big(request: Request) -> dict[str, Any]:
        request.session["blob"] = "x" * 5000
        return {}

    return app


def test_session_round_trip_with_safe_cookie_flags() -> None:
    client = TestClient(session_app())
    response = client.get("/login/ada")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http
    assert client.get("/whoami").json()["user"] == "ada"


def test_cookie_is_secure_over_https_and_configurable() -> None:
    app = session_app(cookie_name="sid", domain="example.com", path="/app", max_age=600)
    client = TestClient(app, base_url="https://example.com")
    cookie = client.get("/login/ada").headers["set-cookie"]
    assert cookie.startswith("sid=")
    for part in ("Secure", "Domain=example.com", "Path=/app", "HttpOnly"):
        assert part in cookie
    max_age = int(cookie.split("Max-Age=")[1].split(";")[0])
    assert 590 <= max_age <= 600


def test_session_is_saved_only_when_changed() -> None:
    client = TestClient(session_app())
    assert "set-cookie" not in client.get("/whoami").headers  # nothing stored, no cookie
    client.get("/login/ada")
    assert "set-cookie" not in client.get("/whoami").headers


def test_forged_and_tampered_cookies_are_rejected() -> None:
    client = TestClient(session_app())
    client.get("/login/ada")
    genuine = client.cookies["session"]
    # Tampered: flip the payload to claim another user, keep the signature.
    payload, stamp, signature = genuine.rsplit(".", 2)
    forged_payload = b64encode(b'{"i":"x","c":%d,"d":{"user":"admin"}}' % int(time.time()))
    tampered = f"{forged_payload}.{stamp}.{signature}"
    # Forged: signed with a key the server does not have.
    forged = Signer(OTHER_SECRET, salt="fastcore.sessions").sign(forged_payload)
    for bad in (tampered, forged, "garbage", genuine[:-2]):
        response = TestClient(session_app()).get("/whoami", cookies={"session": bad})
        assert response.json()["user"] is None
        assert "Max-Age=0" in response.headers["set-cookie"]  # the bad cookie is dropped


def test_idle_and_absolute_expiry_drop_the_session() -> None:
    signer = Signer(SECRET, salt="fastcore.sessions")
    now = time.time()

    def cookie(created: float, saved: float) -> str:
        payload = b'{"i":"abc","c":%d,"d":{"user":"ada"}}' % int(created)
        return signer.sign(b64encode(payload), timestamp=saved)

    app = session_app(idle_timeout=60, max_age=3600)
    fresh = TestClient(app).get("/whoami", cookies={"session": cookie(now - 10, now - 5)})
    assert fresh.json()["user"] == "ada"
    idle = TestClient(app).get("/whoami", cookies={"session": cookie(now - 100, now - 90)})
    assert idle.json()["user"] is None
    too_old = TestClient(app).get("/whoami", cookies={"session": cookie(now - 4000, now - 1)})
    assert too_old.json()["user"] is None
    # Past half the idle timeout an unchanged session is re-saved to push the deadline.
    touched = TestClient(app).get("/whoami", cookies={"session": cookie(now - 40, now - 40)})
    assert touched.json()["user"] == "ada" and "set-cookie" in touched.headers


def test_rotate_changes_the_id_and_clear_logs_out() -> None:
    store = MemorySessionStore()
    client = TestClient(session_app(backend=store))
    first = client.get("/login/ada").json()["id"]
    fixed_cookie = client.cookies["session"]
    second = client.get("/login/bob").json()["id"]
    assert first != second
    # The pre-rotation id is gone server-side: replaying the old cookie gets nothing.
    attacker = TestClient(session_app(backend=store))
    replay = attacker.get("/whoami", cookies={"session": fixed_cookie})
    assert replay.json()["user"] is None
    assert client.get("/whoami").json()["user"] == "bob"
    old_cookie = client.cookies["session"]
    response = client.get("/logout")
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/whoami").json()["user"] is None
    replay = TestClient(session_app(backend=store)).get("/whoami", cookies={"session": old_cookie})
    assert replay.json()["user"] is None


def test_oversize_cookie_is_an_error_not_a_silent_truncation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = TestClient(session_app()).get("/big")
    assert response.status_code == 500
    assert "4096-byte" in caplog.text


def test_key_rotation_keeps_sessions_alive() -> None:
    client = TestClient(session_app(secret_key=OTHER_SECRET))
    client.get("/login/ada")
    rotated = TestClient(session_app(secret_key=[SECRET, OTHER_SECRET]))
    rotated.cookies.update(client.cookies)
    assert rotated.get("/whoami").json()["user"] == "ada"


def test_startup_refuses_a_weak_key_in_production() -> None:
    with pytest.raises(ImproperlyConfigured):
        TestClient(session_app(secret_key="weak", debug=False)).get("/whoami")
    with pytest.raises(ImproperlyConfigured, match="neither"):
        TestClient(session_app(backend=object())).get("/whoami")


@pytest.mark.redis
@pytest.mark.skipif(not redis_available(), reason="no Redis server on 127.0.0.1:6379")
def test_redis_backend_stores_sessions_with_a_ttl() -> None:
    import redis

    prefix = unique_prefix("session")

    async def scenario() -> None:
        store = RedisSessionStore(prefix=prefix)
        app = session_app(backend=store, idle_timeout=120)
        client = AsyncTestClient(app)
        session_id = (await client.get("/login/ada")).json()["id"]
        assert (await client.get("/whoami")).json()["user"] == "ada"
        sync = redis.Redis(host="127.0.0.1", port=6379)
        try:
            assert 0 < sync.ttl(prefix + session_id) <= 120
            assert b"ada" in (sync.get(prefix + session_id) or b"")
            await client.get("/logout")
            assert sync.get(prefix + session_id) is None
        finally:
            sync.close()
            await store.client.aclose()

    try:
        asyncio.run(scenario())
    finally:
        delete_prefix(prefix)
