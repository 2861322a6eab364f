"""API tokens: created per user, stored hashed, sent as Bearer, scoped, revocable."""

from __future__ import annotations

import hashlib

from fastcore.auth.tokens import bearer_token
from tests.auth.conftest import Site


def _token(site: Site, username: str, scopes: list[str]) -> dict[str, object]:
    site.make_user(username)
    site.log_in(username)
    token = site.client.get("/accounts/login")  # any page, for the CSRF token
    from tests.auth.support import csrf_token_in

    response = site.client.post(
        "/api/tokens",
        json={"name": "ci", "scopes": scopes},
        headers={"x-csrf-token": csrf_token_in(token.text)},
    )
    assert response.status_code == 200, response.text
    site.client.cookies.clear()  # from here on: a pure API client
    return dict(response.json())


def test_bearer_token_with_the_scope_is_accepted(site: Site) -> None:
    created = _token(site, "tina", ["memos:read", "memos:write"])
    headers = {"authorization": f"Bearer {created['token']}"}
    read = site.client.get("/api/memos", headers=headers)
    assert read.status_code == 200 and read.json()["user"] == "tina"
    # No cookies and a bearer token: no CSRF token needed.
    write = site.client.post("/api/memos", json={}, headers=headers)
    assert write.status_code == 201


def test_missing_scope_is_403_and_no_token_is_401(site: Site) -> None:
    created = _token(site, "uma", ["memos:read"])
    headers = {"authorization": f"Bearer {created['token']}"}
    write = site.client.post("/api/memos", json={}, headers=headers)
    assert write.status_code == 403
    assert 'error="insufficient_scope"' in write.headers["www-authenticate"]
    assert site.client.get("/api/memos").status_code == 401
    wrong = site.client.get("/api/memos", headers={"authorization": "Bearer fct_not-a-token"})
    assert wrong.status_code == 401


def test_tokens_are_stored_hashed(site: Site) -> None:
    created = _token(site, "vera", ["memos:read"])
    raw = str(created["token"])
    assert raw.startswith("fct_") and len(raw) > 40
    assert hashlib.sha256(raw.encode()).hexdigest() in site.client.get("/test/token-digests").text
    assert raw not in site.client.get("/test/token-digests").text


def test_revoked_token_stops_working(site: Site) -> None:
    created = _token(site, "walt", ["memos:read"])
    headers = {"authorization": f"Bearer {created['token']}"}
    assert site.client.get("/api/memos", headers=headers).status_code == 200
    site.log_in("walt")
    from tests.auth.support import csrf_token_in

    csrf = csrf_token_in(site.client.get("/accounts/login").text)
    revoked = site.client.delete(f"/api/tokens/{created['id']}", headers={"x-csrf-token": csrf})
    assert revoked.json() == {"revoked": True}
    site.client.cookies.clear()
    assert site.client.get("/api/memos", headers=headers).status_code == 401


def test_bearer_with_cookies_still_needs_csrf(site: Site) -> None:
    created = _token(site, "xena", ["memos:write"])
    response = site.client.post(
        "/api/memos",
        json={},
        headers={"authorization": f"Bearer {created['token']}"},
        cookies={"session": "anything"},
    )
    assert response.status_code == 403


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer   abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token("Bearer " + "x" * 300) is None
