"""Swagger UI and ReDoc pages: assets from the app or a CDN, their CSP, the CSRF token."""

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


def test_by_default_the_pages_load_their_assets_from_the_app() -> None:
    from importlib import resources

    client = TestClient(App())
    page = client.get("/docs")
    assert '<script src="/docs/assets/swagger-ui-bundle.js">' in page.text
    assert '<link rel="stylesheet" href="/docs/assets/swagger-ui.css">' in page.text
    assert '"validatorUrl":null' in page.text  # no document sent to an online validator
    assert 'src="/docs/assets/redoc.standalone.js"' in client.get("/redoc").text
    assert "http" not in page.headers["content-security-policy"]  # no origin but the app's
    shipped = resources.files("openapi_ui_bundles.swagger_ui") / "vendor" / "swagger-ui-bundle.js"
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.content == shipped.read_bytes()
    again = client.get(
        "/docs/assets/swagger-ui-bundle.js", headers={"if-none-match": script.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    css = client.get("/docs/assets/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/docs/assets/redoc.standalone.js").status_code == 200


def test_the_asset_route_serves_only_the_pages_files() -> None:
    client = TestClient(App())
    for name in ("index.html", "__init__.py", "..%2f__init__.py", "..%2f..%2fredoc%2fvendor"):
        assert client.get(f"/docs/assets/{name}").status_code == 404, name


def test_with_a_cdn_the_app_serves_no_assets() -> None:
    app = App()
    app.openapi = OpenAPIConfig(cdn_url="https://assets.example.org/npm")
    client = TestClient(app)
    assert "assets.example.org/npm/redoc@2/bundles/redoc.standalone.js" in client.get("/redoc").text
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 404
