"""Swagger UI and ReDoc pages: CDN assets, their own CSP, the CSRF token for cookie apps."""

from __future__ import annotations

import re

from fastcore import App, OpenAPIConfig
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.security_headers import SecurityHeadersMiddleware
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.testing import TestClient

SECRET = "docs-test-secret-key-docs-test-secret-key"


def cookie_app() -> App:
    app = App(
        middleware=[
            (SessionMiddleware, {"secret_key": SECRET}),
            (SecurityHeadersMiddleware, {}),
            (CSRFMiddleware, {}),
        ]
    )

    @app.post("/notes")
    async def add_note(text: str = "x"):
        return {"text": text}

    return app


def test_swagger_ui_loads_from_the_configured_cdn_under_its_own_policy() -> None:
    app = App()
    app.openapi = OpenAPIConfig(cdn_url="https://assets.example.org/npm")
    page = TestClient(app).get("/docs")
    assert page.status_code == 200
    assert (
        '<script src="https://assets.example.org/npm/swagger-ui-dist@5/swagger-ui-bundle.js">'
        in (page.text)
    )
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in page.text
    assert "https://assets.example.org" in policy
    assert "const csrfToken = null;" in page.text  # no CSRF middleware, no token


def test_redoc_page() -> None:
    page = TestClient(App()).get("/redoc")
    assert page.status_code == 200
    assert '<redoc spec-url="/openapi.json">' in page.text
    assert "redoc.standalone.js" in page.text


def test_swagger_ui_sends_the_csrf_token_of_the_session() -> None:
    client = TestClient(cookie_app())
    # Without the token, the cookie-authenticated POST is refused ...
    assert client.post("/notes").status_code == 403
    page = client.get("/docs")
    found = re.search(r'const csrfToken = "([^"]+)";', page.text)
    assert found is not None
    assert "req.headers['X-CSRF-Token'] = csrfToken" in page.text
    # ... and the token the docs page carries is the one the middleware accepts.
    ok = client.post("/notes?text=hi", headers={"x-csrf-token": found.group(1)})
    assert ok.status_code == 200 and ok.json() == {"text": "hi"}
