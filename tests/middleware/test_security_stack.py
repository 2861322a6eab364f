"""SecurityStack: the default layers run from one middleware, with the same behaviour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured, Request
from fastcore.middleware.body_limit import body_limit
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.rate_limit import rate_limit
from fastcore.middleware.security_stack import SecurityStack
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.middleware_base import MiddlewareSpec
from fastcore.security import default_middleware
from fastcore.testing import TestClient
from tests.security.helpers import SECRET, html_app, token_from


def names(spec: MiddlewareSpec) -> list[str]:
    return [getattr(layer.cls, "__name__", "?") for layer in spec.options["layers"]]


def fused_app(tmp_path: Path, **options: Any) -> App:
    layers = default_middleware(secret_key=SECRET, allowed_hosts=["testserver"], **options)
    return html_app(tmp_path, [SecurityStack.of(layers)])


def test_the_fused_stack_protects_like_the_layers(tmp_path: Path) -> None:
    client = TestClient(fused_app(tmp_path))
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert client.get("/", headers={"host": "evil.example.net"}).status_code == 400
    refused = client.post("/submit", data={"text": "x"})
    assert refused.status_code == 403
    assert refused.headers["x-content-type-options"] == "nosniff"  # refusals get headers too
    token = token_from(page.text)
    assert client.post("/submit", data={"csrf_token": token}).status_code == 200
    stolen = token_from(TestClient(client.app).get("/").text)
    assert client.post("/submit", data={"csrf_token": stolen}).status_code == 403


def test_a_forged_cookie_is_dropped_even_when_csrf_refuses(tmp_path: Path) -> None:
    client = TestClient(fused_app(tmp_path))
    response = client.post("/submit", data={"text": "x"}, cookies={"session": "forged.value"})
    assert response.status_code == 403
    assert "Max-Age=0" in response.headers["set-cookie"]


def test_layers_with_nothing_to_do_are_left_out_when_the_app_is_built(tmp_path: Path) -> None:
    app = html_app(tmp_path, [], debug=True)
    app.build_dispatch()
    (spec,) = app.middleware
    assert "BodyLimitMiddleware" not in names(spec) and "RateLimitMiddleware" not in names(spec)

    used = html_app(tmp_path, [], debug=True)

    @used.post("/login")
    @rate_limit("2/minute")
    @body_limit(10)
    async def login(request: Request) -> str:
        return "ok"

    used.build_dispatch()
    (spec,) = used.middleware
    assert "BodyLimitMiddleware" in names(spec) and "RateLimitMiddleware" in names(spec)
    client = TestClient(used)
    token = token_from(client.get("/").text)
    form = {"csrf_token": token}
    assert client.post("/login", data=form).status_code == 413  # the body is over 10 bytes
    limited = [client.post("/login", headers={"x-csrf-token": token}).status_code for _ in range(3)]
    assert limited == [200, 200, 429]


def test_layers_out_of_order_or_incomplete_are_refused() -> None:
    async def handler(request: Request) -> Any:
        return "x"

    session = MiddlewareSpec(SessionMiddleware, {"secret_key": SECRET})
    csrf = MiddlewareSpec(CSRFMiddleware, {})
    hosts = MiddlewareSpec(TrustedHostMiddleware, {"allowed_hosts": ["a.b"]})
    for layers in ([csrf, session], [session, hosts], [session, session], [csrf]):
        with pytest.raises(ImproperlyConfigured):
            SecurityStack(handler, layers=layers)
    assert "TrustedHostMiddleware, SessionMiddleware" in repr(
        SecurityStack(handler, layers=[hosts, session])
    )


def test_an_anonymous_session_is_created_when_first_read(tmp_path: Path) -> None:
    # The stack defers a cookieless visitor's session until the request reads
    # it: a handler that writes it still gets its cookie, one that never
    # touches it sends none, and reads in one request see one session.
    app = fused_app(tmp_path)

    @app.get("/remember")
    async def remember(request: Request) -> dict[str, Any]:
        first = request.session
        first["seen"] = True
        return {"same": request.session is first}

    @app.get("/recall")
    async def recall(request: Request) -> dict[str, Any]:
        return {"seen": request.session.get("seen", False)}

    @app.get("/untouched")
    async def untouched() -> dict[str, Any]:
        return {}

    client = TestClient(app)
    assert "set-cookie" not in client.get("/untouched").headers
    assert "set-cookie" not in client.get("/recall").headers
    remembered = client.get("/remember")
    assert remembered.json() == {"same": True}
    assert remembered.headers["set-cookie"].startswith("session=")
    assert client.get("/recall").json() == {"seen": True}
