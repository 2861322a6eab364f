"""Security headers: safe defaults, HSTS only on https, CSP nonces, per-route overrides, XSS."""

from __future__ import annotations

from pathlib import Path

from fastcore import App, HTMLResponse
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.security_headers import (
    SecurityHeadersMiddleware,
    csp_nonce,
    security_headers,
)
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.testing import TestClient
from tests.security.helpers import SECRET, html_app, token_from

XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


def test_default_headers_and_no_hsts_over_http() -> None:
    app = App(middleware=[SecurityHeadersMiddleware])

    @app.get("/")
    async def index() -> str:
        return "hi"

    headers = TestClient(app).get("/").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "nonce-" not in csp and "{nonce}" not in csp  # no page asked for a nonce
    assert "strict-transport-security" not in headers
    secure = TestClient(app, base_url="https://example.com").get("/").headers
    assert secure["strict-transport-security"].startswith("max-age=31536000")


def test_nonce_in_template_matches_the_header(tmp_path: Path) -> None:
    app = html_app(
        tmp_path,
        [
            (SessionMiddleware, {"secret_key": SECRET}),
            SecurityHeadersMiddleware,
            CSRFMiddleware,
        ],
    )
    client = TestClient(app)
    first = client.get("/")
    nonce = first.text.split('<script nonce="')[1].split('"')[0]
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in first.headers["content-security-policy"]
    assert nonce not in client.get("/").headers["content-security-policy"]  # fresh per request


def test_route_override_and_handler_headers_win() -> None:
    app = App(middleware=[(SecurityHeadersMiddleware, {"csp": "default-src 'self'"})])

    @app.get("/embed")
    @security_headers(frame_options=None, csp="frame-ancestors https://partner.example")
    async def embed() -> str:
        return "embeddable"

    @app.get("/own")
    async def own() -> HTMLResponse:
        return HTMLResponse("x", headers={"x-frame-options": "SAMEORIGIN"})

    @app.get("/nonce")
    async def nonce() -> str:
        return csp_nonce()

    client = TestClient(app)
    embedded = client.get("/embed").headers
    assert "x-frame-options" not in embedded
    assert embedded["content-security-policy"] == "frame-ancestors https://partner.example"
    assert client.get("/own").headers.getlist("x-frame-options") == ["SAMEORIGIN"]
    assert client.get("/nonce").headers["content-security-policy"] == "default-src 'self'"


def test_reflected_and_stored_xss_payloads_are_escaped(tmp_path: Path) -> None:
    app = html_app(
        tmp_path,
        [(SessionMiddleware, {"secret_key": SECRET}), SecurityHeadersMiddleware, CSRFMiddleware],
    )
    client = TestClient(app)
    token = token_from(client.get("/").text)
    stored = client.post("/comments", json={"text": XSS}, headers={"x-csrf-token": token})
    assert stored.status_code == 200
    page = client.get("/", params={"q": XSS}).text
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # reflected + stored
