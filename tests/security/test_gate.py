"""The default stack as the server runs it: its compiled gate around the handler.

An App whose only middleware is the default security stack
(``App(security=True)``, or an HTML app) hands the server the stack's gate:
for a plain route match the server runs the gate's steps around the handler
itself, and the stack's coroutine only for the requests the gate turns down
(unsafe methods, session cookies, rate rules). These tests hold the server to
the same protections on both paths, over real sockets.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastcore import App, HTMLResponse, PlainTextResponse, Request, Settings, StreamingResponse
from fastcore.middleware.security_headers import security_headers
from fastcore.middleware_base import Middleware
from fastcore.testing import LiveServer
from tests.security.helpers import SECRET, token_from

PAGE = """<!doctype html>
<title>{{ title }}</title>
<form method="post" action="/submit">{{ csrf_input() }}<input name="text"></form>
<script nonce="{{ csp_nonce() }}">var ok = 1;</script>
"""

DEFAULT_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}


class Passthrough(Middleware):
    """A user's middleware: its presence keeps the stack on its coroutine."""

    inline_safe = True

    async def __call__(self, request: Request) -> Any:
        response = await self.next(request)
        response.headers["x-passthrough"] = "1"
        return response


def build_app(
    tmp_path: Path,
    *,
    middleware: list[Any] | None = None,
    route_override: bool = False,
    **settings: Any,
) -> App:
    (tmp_path / "page.html").write_text(PAGE)
    settings.setdefault("allowed_hosts", ["localhost"])
    app = App(
        settings=Settings(template_folders=[str(tmp_path)], secret_key=SECRET, **settings),
        security=True,
        middleware=middleware or [],
    )

    @app.get("/")
    async def page(request: Request) -> HTMLResponse:
        return app.render("page.html", title="Gate")

    @app.get("/plain")
    async def plain() -> str:
        return "plain"

    @app.get("/slow")
    async def slow() -> PlainTextResponse:
        await asyncio.sleep(0.01)  # a real suspension: the rest runs in a Task
        return PlainTextResponse("slow")

    @app.get("/sync")
    def sync_handler(request: Request) -> str:  # runs in the thread pool
        return "sync"

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def parts() -> Any:
            yield b"one,"
            yield b"two"

        return StreamingResponse(parts(), media_type="text/plain")

    @app.get("/boom")
    async def boom() -> str:
        raise RuntimeError("handler failure")

    @app.get("/remember")
    async def remember(request: Request) -> str:
        request.session["seen"] = request.query.get("value", "yes")
        return "remembered"

    @app.get("/recall")
    async def recall(request: Request) -> str:
        return str(request.session.get("seen"))

    if route_override:

        @app.get("/framed")
        @security_headers(frame_options="SAMEORIGIN")
        async def framed() -> str:
            return "framed"

    @app.get("/own-header")
    async def own_header() -> PlainTextResponse:
        return PlainTextResponse("own", headers={"x-frame-options": "SAMEORIGIN"})

    @app.post("/submit")
    async def submit(request: Request) -> str:
        return "submitted"

    return app


def fetch(
    server: LiveServer, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        headers.setdefault("Host", "localhost")
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        fields = {name.lower(): value for name, value in response.getheaders()}
        return response.status, fields, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[LiveServer]:
    app = build_app(tmp_path)
    assert app.build_dispatch().gate is not None  # type: ignore[attr-defined]
    with LiveServer(app) as server:
        fetch(server, "GET", "/plain")  # the first request sets the layers up
        yield server


def assert_security_headers(headers: dict[str, str]) -> None:
    for name, value in DEFAULT_HEADERS.items():
        assert headers.get(name) == value, name
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers  # plain http


def test_a_page_gets_every_header_and_no_cookie(gated: LiveServer) -> None:
    status, headers, _ = fetch(gated, "GET", "/plain")
    assert status == 200
    assert_security_headers(headers)
    assert "set-cookie" not in headers  # an anonymous visitor who wrote nothing
    assert "'nonce-" not in headers["content-security-policy"]


def test_the_page_nonce_is_the_header_nonce(gated: LiveServer) -> None:
    status, headers, page = fetch(gated, "GET", "/")
    assert status == 200
    nonce = re.search(r'<script nonce="([^"]+)"', page)
    assert nonce is not None
    assert f"'nonce-{nonce.group(1)}'" in headers["content-security-policy"]
    _, again, page_again = fetch(gated, "GET", "/")
    assert nonce.group(1) not in page_again  # a new nonce per request
    assert nonce.group(1) not in again["content-security-policy"]


def test_a_forged_host_is_refused(gated: LiveServer) -> None:
    status, _, body = fetch(gated, "GET", "/plain", Host="evil.example")
    assert status == 400
    assert "plain" not in body
    status, _, _ = fetch(gated, "GET", "/plain", Host="localhost:8000")
    assert status == 200  # the port is not part of the name


def test_hosts_are_checked_on_every_request_of_a_connection(gated: LiveServer) -> None:
    # The gate remembers the last allowed Host: a forged one after it is
    # still refused, on the same connection.
    with socket.create_connection(("127.0.0.1", gated.port), timeout=5) as sock:
        sock.sendall(
            b"GET /plain HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"GET /plain HTTP/1.1\r\nHost: evil.example\r\n\r\n"
        )
        data = b""
        while data.count(b"HTTP/1.1 ") < 2:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    first, second = data.split(b"HTTP/1.1 ")[1:3]
    assert first.startswith(b"200 ") and b"x-frame-options: DENY" in first
    assert second.startswith(b"400 ")


def test_a_session_written_by_a_get_is_saved(gated: LiveServer) -> None:
    status, headers, _ = fetch(gated, "GET", "/remember?value=blue")
    assert status == 200
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert_security_headers(headers)
    status, headers, body = fetch(gated, "GET", "/recall", Cookie=cookie.split(";")[0])
    assert (status, body) == (200, "blue")
    assert_security_headers(headers)


def test_other_cookies_are_not_a_session(gated: LiveServer) -> None:
    # Another site cookie, and one whose name contains the session cookie's.
    for cookie in ("theme=dark", "xsession=abc; session_hint=1"):
        status, headers, body = fetch(gated, "GET", "/recall", Cookie=cookie)
        assert (status, body) == (200, "None")
        assert "set-cookie" not in headers
        assert_security_headers(headers)


def test_a_tampered_session_cookie_is_not_believed(gated: LiveServer) -> None:
    _, headers, _ = fetch(gated, "GET", "/remember?value=blue")
    name, value = headers["set-cookie"].split(";")[0].split("=", 1)
    forged = f"{name}={value[:-2]}{'A' if value[-2] != 'A' else 'B'}{value[-1]}"
    _, _, body = fetch(gated, "GET", "/recall", Cookie=forged)
    assert body == "None"


def test_streaming_suspending_sync_and_failing_handlers_get_the_headers(gated: LiveServer) -> None:
    for path, expected_status, expected_body in (
        ("/stream", 200, "one,two"),
        ("/slow", 200, "slow"),
        ("/sync", 200, "sync"),
        ("/boom", 500, None),
    ):
        status, headers, body = fetch(gated, "GET", path)
        assert status == expected_status, path
        if expected_body is not None:
            assert body == expected_body
        else:
            assert "handler failure" not in body  # no traceback leaks
        assert_security_headers(headers)


def test_handler_set_headers_win(gated: LiveServer) -> None:
    status, headers, _ = fetch(gated, "GET", "/own-header")
    assert status == 200
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in headers


def test_per_route_headers_win(tmp_path: Path) -> None:
    app = build_app(tmp_path, route_override=True)
    with LiveServer(app) as server:
        for path in ("/plain", "/framed", "/framed"):
            status, headers, _ = fetch(server, "GET", path)
            assert status == 200
            expected = "SAMEORIGIN" if path == "/framed" else "DENY"
            assert headers["x-frame-options"] == expected, path
            assert headers["x-content-type-options"] == "nosniff"
            assert "content-security-policy" in headers


def test_head_requests_are_gated_too(gated: LiveServer) -> None:
    status, headers, body = fetch(gated, "HEAD", "/plain")
    assert (status, body) == (200, "")
    assert_security_headers(headers)


def test_a_cross_site_post_is_refused_and_a_valid_one_accepted(gated: LiveServer) -> None:
    status, headers, _ = fetch(
        gated,
        "POST",
        "/submit",
        b"text=hi",
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403
    assert_security_headers(headers)
    _, headers, page = fetch(gated, "GET", "/")
    cookie = headers["set-cookie"].split(";")[0]  # the token's session
    form = f"csrf_token={token_from(page)}&text=hi".encode()
    status, _, body = fetch(
        gated,
        "POST",
        "/submit",
        form,
        Cookie=cookie,
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, body) == (200, "submitted")


def test_https_behind_a_trusted_proxy(tmp_path: Path) -> None:
    app = build_app(tmp_path, https=True, trusted_proxies=["127.0.0.1"])
    with LiveServer(app) as server:
        fetch(server, "GET", "/plain", **{"X-Forwarded-Proto": "https"})
        status, headers, _ = fetch(server, "GET", "/plain", **{"X-Forwarded-Proto": "https"})
        assert status == 200
        assert headers["strict-transport-security"].startswith("max-age=")
        assert headers["x-frame-options"] == "DENY"
        status, headers, _ = fetch(server, "GET", "/plain")
        assert status in (301, 307, 308)  # plain http is sent to https
        assert headers["location"] == "https://localhost/plain"


def test_with_a_users_middleware_the_stack_runs_as_before(tmp_path: Path) -> None:
    app = build_app(tmp_path, middleware=[Passthrough])
    assert app.build_dispatch().gate is None  # type: ignore[attr-defined]
    with LiveServer(app) as server:
        status, headers, _ = fetch(server, "GET", "/plain")
        assert status == 200
        assert headers["x-passthrough"] == "1"
        assert_security_headers(headers)
        status, _, _ = fetch(server, "GET", "/plain", Host="evil.example")
        assert status == 400
