"""Security on by default: ``App(security=...)`` and how an HTML app gets its stack."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured, Request
from fastcore.config import Settings
from fastcore.middleware.security_stack import SecurityStack
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.middleware_base import Handler
from fastcore.responses import Response
from fastcore.security import default_middleware
from fastcore.testing import LiveServer, TestClient
from tests.security.helpers import SECRET, html_app, token_from
from tests.security.test_over_sockets import cookie_of, request


@pytest.fixture(autouse=True)
def no_security_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case configures itself; the machine's FASTCORE_* variables do not leak in."""
    for name in ("DEBUG", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "ALLOWED_HOSTS"):
        monkeypatch.delenv(f"FASTCORE_{name}", raising=False)


def layer_names(app: App) -> list[str]:
    """The app's middleware once built, a SecurityStack standing for its layers."""
    app.build_dispatch()
    names = []
    for spec in app.middleware:
        layers = spec.options["layers"] if spec.cls is SecurityStack else [spec]
        names += [getattr(layer.cls, "__name__", "?") for layer in layers]
    return names


def production(tmp_path: Path, **fields: Any) -> Settings:
    return Settings(template_folders=[str(tmp_path)], **fields)


def test_an_html_app_in_development_gets_the_stack_and_a_generated_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = html_app(tmp_path, [], debug=True)
    client = TestClient(app)
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert "session=" in page.headers["set-cookie"]
    assert client.post("/submit", data={"text": "x"}).status_code == 403
    token = token_from(page.text)
    assert client.post("/submit", data={"text": "x", "csrf_token": token}).status_code == 200
    assert client.get("/", headers={"host": "evil.example.net"}).status_code == 400
    # One middleware runs the layers; those with nothing to do are left out.
    assert [spec.cls for spec in app.middleware] == [SecurityStack]
    assert layer_names(app) == [
        "TrustedHostMiddleware",
        "SecurityHeadersMiddleware",
        "SessionMiddleware",
        "CSRFMiddleware",
    ]
    # Said once per process, when the key is generated (maybe by an earlier test).
    generated = [r for r in caplog.records if "generated a random one" in r.getMessage()]
    assert len(generated) <= 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "no secret key is set"),
        ({"secret_key": "short"}, "shorter than 32"),
        ({"secret_key": SECRET}, "allowed_hosts is required"),
    ],
)
def test_production_without_a_key_or_hosts_fails_at_startup(
    tmp_path: Path, fields: dict[str, Any], message: str
) -> None:
    app = html_app(tmp_path, [], settings=production(tmp_path, **fields))
    with pytest.raises(ImproperlyConfigured, match=message) as info:
        TestClient(app).get("/")
    # The message names the way out.
    assert "FASTCORE_DEBUG=1" in str(info.value) and "App(security=False)" in str(info.value)
    with pytest.raises(RuntimeError, match="failed to start") as live, LiveServer(app):
        pass
    assert isinstance(live.value.__cause__, ImproperlyConfigured)
    assert message in str(live.value.__cause__)


def test_production_with_settings_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTCORE_SECRET_KEY", SECRET)
    monkeypatch.setenv("FASTCORE_ALLOWED_HOSTS", "testserver,example.com")
    settings = Settings.from_env(template_folders=[str(tmp_path)])
    app = html_app(tmp_path, [], settings=settings)
    client = TestClient(app)
    token = token_from(client.get("/").text)
    assert client.post("/submit", data={"csrf_token": token}).status_code == 200
    assert client.get("/", headers={"host": "localhost"}).status_code == 400  # not listed


def test_an_app_without_templates_gets_nothing_and_keeps_the_bare_path() -> None:
    app = App()

    @app.post("/items")
    async def create(request: Request) -> dict[str, bool]:
        return {"created": True}

    response = TestClient(app).post("/items", json={})
    assert response.status_code == 200 and "content-security-policy" not in response.headers
    assert app.middleware == []


def test_security_true_and_false_override_the_guess(tmp_path: Path) -> None:
    api = App(security=True, debug=True)

    @api.get("/")
    async def index() -> str:
        return "ok"

    assert "content-security-policy" in TestClient(api).get("/").headers
    off = html_app(tmp_path, [], security=False, settings=production(tmp_path))
    client = TestClient(off)  # production without a key: fine, nothing to sign
    assert client.post("/submit", data={"text": "x"}).status_code == 200
    assert off.middleware == []


def test_an_explicit_stack_is_not_doubled(tmp_path: Path) -> None:
    stack = default_middleware(secret_key=SECRET, allowed_hosts=["testserver"])
    for security in (None, True):
        app = html_app(tmp_path, list(stack), security=security)
        names = layer_names(app)
        assert names == [getattr(spec.cls, "__name__", "?") for spec in stack]
        assert names.count("SessionMiddleware") == 1


def test_an_own_partial_stack_replaces_the_default_and_is_checked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    own = [(SessionMiddleware, {"secret_key": SECRET, "cookie_name": "sid"})]
    app = html_app(tmp_path, own)
    with caplog.at_level(logging.WARNING, logger="fastcore.security"):
        assert layer_names(app) == ["SessionMiddleware"]
    logged = caplog.text
    for check_id in ("security.W003", "security.W006", "security.W007"):
        assert check_id in logged


def test_the_apps_own_middleware_runs_inside_the_stack(tmp_path: Path) -> None:
    seen: list[Any] = []

    class RemembersUser:
        def __init__(self, next: Handler) -> None:
            self.next = next

        async def __call__(self, request: Request) -> Response:
            seen.append(request.session.get("user"))  # the session is already loaded
            return await self.next(request)

    app = html_app(tmp_path, [RemembersUser], debug=True)
    TestClient(app).get("/")
    assert seen == [None]
    assert layer_names(app)[-1] == "RemembersUser"
    assert layer_names(app).index("CSRFMiddleware") < layer_names(app).index("RemembersUser")


def test_settings_never_show_the_secret_key() -> None:
    settings = Settings(secret_key=SECRET, secret_key_fallbacks=["old-" + SECRET])
    assert SECRET not in repr(settings)


def test_the_default_stack_over_sockets(tmp_path: Path) -> None:
    settings = production(tmp_path, secret_key=SECRET, allowed_hosts=["localhost"])
    app = html_app(tmp_path, [], settings=settings)
    with LiveServer(app) as server:
        status, headers, page = request(server, "GET", "/")
        assert status == 200 and "content-security-policy" in headers
        form = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_of(headers),
        }
        assert request(server, "POST", "/submit", b"text=x", **form)[0] == 403
        body = f"text=x&csrf_token={token_from(page.decode())}".encode()
        assert request(server, "POST", "/submit", body, **form)[0] == 200
        assert request(server, "GET", "/", Host="evil.example.net")[0] == 400
    assert layer_names(app).count("SecurityHeadersMiddleware") == 1
