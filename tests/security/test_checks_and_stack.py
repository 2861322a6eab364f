"""Startup checks and the one-call default stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured
from fastcore.config import Settings
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.https_redirect import HTTPSRedirectMiddleware
from fastcore.middleware.proxy_headers import ProxyHeadersMiddleware
from fastcore.middleware.rate_limit import rate_limit
from fastcore.middleware.security_headers import SecurityHeadersMiddleware
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.security import SecuritySettings, check_security, default_middleware
from fastcore.testing import TestClient
from tests.security.helpers import SECRET, html_app, token_from


def ids(app: App, **options: Any) -> set[str]:
    return {message.id for message in check_security(app, **options)}


def test_the_default_stack_passes_every_check() -> None:
    app = App(middleware=default_middleware(secret_key=SECRET, allowed_hosts=["example.com"]))
    assert check_security(app) == []
    https = App(middleware=default_middleware(secret_key=SECRET, allowed_hosts=["a.b"], https=True))
    assert check_security(https) == []


def test_unsafe_configurations_are_reported_with_ids() -> None:
    bare = App(debug=True)

    @bare.post("/login")
    @rate_limit("5/minute")
    async def login() -> str:
        return "x"

    assert ids(bare) == {"security.W001", "security.W006", "security.W007", "security.W008"}
    weak = App(
        settings=Settings(),
        middleware=[
            HTTPSRedirectMiddleware,
            (ProxyHeadersMiddleware, {"trusted_proxies": ["*"]}),
            (TrustedHostMiddleware, {"allowed_hosts": ["*"]}),
            (SecurityHeadersMiddleware, {"hsts": None}),
            CSRFMiddleware,
            (SessionMiddleware, {"secret_key": "short", "secure": False}),
        ],
    )
    assert ids(weak) == {
        "security.E002",
        "security.E004",
        "security.W005",
        "security.W007",
        "security.W010",
        "security.W011",
    }
    no_csrf = App(middleware=[(SessionMiddleware, {"secret_key": SECRET})])
    assert "security.W003" in ids(no_csrf)
    message = check_security(no_csrf)[0]
    assert str(message).startswith(f"{message.id} (warning): ") and "HINT" in str(message)


def test_default_stack_fails_fast_in_production() -> None:
    with pytest.raises(ImproperlyConfigured, match="secret key"):
        default_middleware(debug=False, allowed_hosts=["example.com"], secret_key="")
    with pytest.raises(ImproperlyConfigured, match="allowed_hosts"):
        default_middleware(debug=False, secret_key=SECRET)
    # Development: a generated key and local hosts only.
    names = [spec.cls.__name__ for spec in default_middleware(debug=True)]
    assert names == [
        "TrustedHostMiddleware",
        "SecurityHeadersMiddleware",
        "BodyLimitMiddleware",
        "RateLimitMiddleware",
        "SessionMiddleware",
        "CSRFMiddleware",
    ]


def test_default_stack_from_settings_protects_a_page(tmp_path: Path) -> None:
    settings = SecuritySettings.from_env(
        {"FASTCORE_SECRET_KEY": SECRET, "FASTCORE_ALLOWED_HOSTS": "testserver,example.com"}
    )
    assert settings.allowed_hosts == ["testserver", "example.com"]
    app = html_app(tmp_path, default_middleware(settings=settings))
    client = TestClient(app)
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert client.post("/submit", data={"a": "b"}).status_code == 403
    assert client.post("/submit", data={"csrf_token": token_from(page.text)}).status_code == 200
    assert client.get("/", headers={"host": "evil.com"}).status_code == 400
