"""CSRF: cross-site POSTs fail, stolen tokens fail, origin checks on https, exemptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured, Request
from fastcore.middleware.csrf import CSRFMiddleware, csrf_exempt, csrf_token
from fastcore.middleware.security_headers import SecurityHeadersMiddleware
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.testing import TestClient
from tests.security.helpers import SECRET, html_app, token_from


def stack(**csrf_options: Any) -> list[Any]:
    return [
        (SessionMiddleware, {"secret_key": SECRET}),
        (SecurityHeadersMiddleware, {}),
        (CSRFMiddleware, csrf_options),
    ]


@pytest.fixture
def app(tmp_path: Path) -> App:
    return html_app(tmp_path, stack(trusted_origins=["https://admin.example.com"]))


def test_form_post_without_token_is_refused_with_a_reason(app: App) -> None:
    client = TestClient(app)
    client.get("/")  # a session exists, but the attacker's page cannot read its token
    response = client.post("/submit", data={"text": "hi"}, headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "CSRF check failed" in response.text and "missing" in response.text
    api = client.post("/submit", data={"text": "hi"}, headers={"accept": "application/json"})
    assert api.status_code == 403 and "CSRF" in api.json()["detail"]


def test_post_without_any_session_is_refused(app: App) -> None:
    response = TestClient(app).post("/submit", data={"text": "hi"})
    assert response.status_code == 403 and "no CSRF token" in response.json()["detail"]


def test_valid_token_from_form_field_or_header_passes(app: App) -> None:
    client = TestClient(app)
    token = token_from(client.get("/").text)
    ok = client.post("/submit", data={"text": "hi", "csrf_token": token})
    assert ok.status_code == 200 and ok.json()["fields"] == ["csrf_token", "text"]
    # The handler still reads the body the middleware parsed.
    by_header = client.post("/comments", json={"text": "x"}, headers={"x-csrf-token": token})
    assert by_header.status_code == 200
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/submit").status_code in (403,)  # no token
    assert client.post("/submit", data={"csrf_token": token + "x"}).status_code == 403


def test_a_token_stolen_from_another_session_is_refused(app: App) -> None:
    attacker = TestClient(app)
    stolen = token_from(attacker.get("/").text)
    victim = TestClient(app)
    victim.get("/")
    response = victim.post("/submit", data={"csrf_token": stolen})
    assert response.status_code == 403 and "invalid for this session" in response.json()["detail"]


def test_tokens_are_masked_differently_on_each_render(app: App) -> None:
    client = TestClient(app)
    first, second = token_from(client.get("/").text), token_from(client.get("/").text)
    assert first != second
    for token in (first, second):
        assert client.post("/submit", data={"csrf_token": token}).status_code == 200


def test_origin_and_referer_are_checked_over_https(app: App) -> None:
    client = TestClient(app, base_url="https://example.com")
    token = token_from(client.get("/").text)
    good = {"origin": "https://example.com"}
    assert client.post("/submit", data={"csrf_token": token}, headers=good).status_code == 200
    for headers in (
        {"origin": "https://evil.example.net"},
        {"origin": "http://example.com"},  # downgraded scheme
        {"origin": "null"},
        {"referer": "https://evil.example.net/page"},
        {},  # neither header
    ):
        response = client.post("/submit", data={"csrf_token": token}, headers=headers)
        assert response.status_code == 403, headers
    trusted = {"origin": "https://admin.example.com"}
    assert client.post("/submit", data={"csrf_token": token}, headers=trusted).status_code == 200
    referer = {"referer": "https://example.com/form"}
    assert client.post("/submit", data={"csrf_token": token}, headers=referer).status_code == 200


def test_a_wildcard_trusted_origin_allows_subdomains_only(tmp_path: Path) -> None:
    # Issue 23's mutation check: no test configured a wildcard, so matching
    # "evilexample.com", or any origin once a wildcard is set, passed the suite.
    app = html_app(tmp_path, stack(trusted_origins=["https://*.example.com"]))
    client = TestClient(app, base_url="https://site.test")
    token = token_from(client.get("/").text)
    for origin in (
        "https://admin.example.com",
        "https://a.b.example.com",
        "https://admin.example.com:8443",
    ):
        response = client.post("/submit", data={"csrf_token": token}, headers={"origin": origin})
        assert response.status_code == 200, origin
    for origin in (
        "https://evilexample.com",
        "https://example.com.evil.net",
        "https://example.com",  # the wildcard names subdomains, not the domain itself
        "http://admin.example.com",  # downgraded scheme
        "https://evil.net",
    ):
        response = client.post("/submit", data={"csrf_token": token}, headers={"origin": origin})
        assert response.status_code == 403, origin
    referer = {"referer": "https://shop.example.com/cart"}
    assert client.post("/submit", data={"csrf_token": token}, headers=referer).status_code == 200
    referer = {"referer": "https://evilexample.com/cart"}
    assert client.post("/submit", data={"csrf_token": token}, headers=referer).status_code == 403


def test_exempt_handlers_and_bearer_clients(tmp_path: Path) -> None:
    app = html_app(tmp_path, stack())

    @app.post("/webhook")
    @csrf_exempt
    async def webhook() -> dict[str, bool]:
        return {"received": True}

    client = TestClient(app)
    client.get("/")
    assert client.post("/webhook", json={}).status_code == 200
    api = TestClient(app)
    bearer = {"authorization": "Bearer abc"}
    assert api.post("/comments", json={"text": "x"}, headers=bearer).status_code == 200
    # A browser with cookies does not become exempt by adding a header.
    assert client.post("/comments", json={"text": "x"}, headers=bearer).status_code == 403


def test_token_helpers_need_a_request_and_the_session_middleware() -> None:
    with pytest.raises(ImproperlyConfigured, match="needs a request"):
        csrf_token()
    app = App(middleware=[CSRFMiddleware])

    @app.get("/")
    async def index(request: Request) -> str:
        return "x"

    # Refused when the app is built (check security.E004), not on a request.
    with pytest.raises(ImproperlyConfigured, match="CSRFMiddleware needs SessionMiddleware"):
        TestClient(app).get("/")
    with pytest.raises(ImproperlyConfigured, match="trusted origin"):
        CSRFMiddleware(index, trusted_origins=["example.com"])
