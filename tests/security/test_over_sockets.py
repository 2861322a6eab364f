"""The protections over real sockets: the bundled server, a real client, real bytes."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastcore import App, Request
from fastcore.middleware.body_limit import BodyLimitMiddleware, body_limit
from fastcore.middleware.cors import CORSMiddleware
from fastcore.middleware.proxy_headers import ProxyHeadersMiddleware
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.security import default_middleware
from fastcore.security.session_backends import RedisSessionStore
from fastcore.testing import LiveServer
from tests.security.helpers import (
    OTHER_SECRET,
    SECRET,
    delete_prefix,
    html_app,
    redis_available,
    token_from,
    unique_prefix,
)

XSS = "<script>alert(document.cookie)</script>"


def request(
    server: LiveServer, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        headers.setdefault("Host", "localhost")
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def cookie_of(headers: dict[str, str]) -> str:
    return headers["set-cookie"].split(";")[0]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LiveServer]:
    stack = default_middleware(
        secret_key=SECRET, allowed_hosts=["localhost"], trusted_proxies=["10.0.0.0/8"]
    )
    app = html_app(tmp_path, stack)

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        return {
            "client": request.client[0] if request.client else None,
            "user": request.session.get("user"),
        }

    @app.get("/login")
    async def login(request: Request) -> str:
        request.session.rotate()
        request.session["user"] = "ada"
        return "ok"

    with LiveServer(app) as server:
        yield server


def test_csrf_over_sockets(site: LiveServer) -> None:
    status, headers, page = request(site, "GET", "/")
    assert status == 200
    cookie = cookie_of(headers)
    token = token_from(page.decode())
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    # The attacker's cross-site form carries the victim's cookie but not the token.
    status, _, body = request(site, "POST", "/submit", b"text=pwned", **form)
    assert status == 403 and b"CSRF" in body
    status, _, _ = request(site, "POST", "/submit", f"text=hi&csrf_token={token}".encode(), **form)
    assert status == 200


def test_forged_session_cookie_over_sockets(site: LiveServer) -> None:
    status, headers, _ = request(site, "GET", "/login")
    genuine = cookie_of(headers)
    assert b'"ada"' in request(site, "GET", "/whoami", Cookie=genuine)[2]
    from fastcore.security import Signer

    forged_value = Signer(OTHER_SECRET, salt="fastcore.sessions").sign("eyJ9")
    for cookie in (f"session={forged_value}", genuine[:-3] + "abc"):
        status, headers, body = request(site, "GET", "/whoami", Cookie=cookie)
        assert status == 200 and b'"user":null' in body


def test_spoofed_forwarded_for_and_host_poisoning(site: LiveServer) -> None:
    _, _, body = request(site, "GET", "/whoami", **{"X-Forwarded-For": "6.6.6.6"})
    assert b'"client":"127.0.0.1"' in body
    status, _, _ = request(site, "GET", "/whoami", Host="evil.example.net")
    assert status == 400
    status, _, _ = request(site, "GET", "/whoami", **{"X-Forwarded-Host": "evil.example.net"})
    assert status == 200  # ignored: the peer is no trusted proxy
    # HTTP/1.0 may omit Host: no served host, refused as such (not a 500).
    with socket.create_connection(("127.0.0.1", site.port), timeout=5) as sock:
        sock.sendall(b"GET /whoami HTTP/1.0\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 400")


def test_xss_payloads_are_escaped_over_sockets(site: LiveServer) -> None:
    from urllib.parse import quote

    status, headers, page = request(site, "GET", "/?q=" + quote(XSS))
    assert status == 200 and XSS.encode() not in page
    assert b"&lt;script&gt;" in page
    assert "script-src 'self' 'nonce-" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_trusted_proxy_is_believed_over_sockets() -> None:
    app = App(
        middleware=[
            (ProxyHeadersMiddleware, {"trusted_proxies": ["127.0.0.1"]}),
            (TrustedHostMiddleware, {"allowed_hosts": ["shop.example.com"]}),
        ]
    )

    @app.get("/")
    async def index(request: Request) -> dict[str, Any]:
        return {"client": request.client[0] if request.client else None, "url": str(request.url)}

    with LiveServer(app) as server:
        _, _, body = request(
            server,
            "GET",
            "/",
            **{
                "X-Forwarded-For": "198.51.100.4",
                "X-Forwarded-Host": "shop.example.com",
                "X-Forwarded-Proto": "https",
            },
        )
    assert body == b'{"client":"198.51.100.4","url":"https://shop.example.com/"}'


def body_limited_app() -> App:
    app = App(middleware=[(BodyLimitMiddleware, {"max_body_size": 1000})])

    @app.post("/small")
    async def small(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.post("/upload")
    @body_limit(10_000)
    async def upload(request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    return app


def test_body_limits_per_route_over_sockets() -> None:
    with LiveServer(body_limited_app()) as server:
        assert request(server, "POST", "/small", b"x" * 1000)[0] == 200
        assert request(server, "POST", "/upload", b"x" * 5000)[2] == b'{"size":5000}'
        # Declared too large: refused before the body is sent at all.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 413")
        # Chunked (no length): counted while streaming, refused past the limit.
        chunk = b"%x\r\n%s\r\n" % (4000, b"y" * 4000)
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(
                b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk * 3
                + b"0\r\n\r\n"
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 413")


@pytest.mark.redis
@pytest.mark.skipif(not redis_available(), reason="no Redis server on 127.0.0.1:6379")
def test_redis_sessions_over_sockets() -> None:
    prefix = unique_prefix("live-session")
    store = RedisSessionStore(prefix=prefix)
    app = App(
        middleware=[(SessionMiddleware, {"secret_key": SECRET, "backend": store})],
        on_shutdown=[store.client.aclose],  # the connection belongs to the server's loop
    )

    @app.get("/count")
    async def count(request: Request) -> dict[str, int]:
        request.session["n"] = request.session.get("n", 0) + 1
        return {"n": request.session["n"]}

    try:
        with LiveServer(app) as server:
            _, headers, body = request(server, "GET", "/count")
            cookie = cookie_of(headers)
            assert body == b'{"n":1}'
            assert request(server, "GET", "/count", Cookie=cookie)[2] == b'{"n":2}'
    finally:
        delete_prefix(prefix)


def test_a_stolen_token_is_refused_over_sockets(site: LiveServer) -> None:
    _, _, attacker_page = request(site, "GET", "/")
    stolen = token_from(attacker_page.decode())  # valid, but for the attacker's session
    _, headers, _ = request(site, "GET", "/")
    victim = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_of(headers)}
    status, _, body = request(site, "POST", "/submit", f"csrf_token={stolen}".encode(), **victim)
    assert status == 403 and b"invalid for this session" in body


def test_origin_mismatch_over_https_is_refused_over_sockets(tmp_path: Path) -> None:
    # https as behind a TLS-terminating proxy: one trusted at 127.0.0.1 says so.
    app = html_app(
        tmp_path,
        default_middleware(
            secret_key=SECRET, allowed_hosts=["localhost"], trusted_proxies=["127.0.0.1"]
        ),
    )
    https = {"X-Forwarded-Proto": "https"}
    with LiveServer(app) as server:
        _, headers, page = request(server, "GET", "/", **https)
        assert headers["strict-transport-security"].startswith("max-age=")
        form = {
            **https,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_of(headers),
        }
        body = f"csrf_token={token_from(page.decode())}".encode()
        status, _, refused = request(
            server, "POST", "/submit", body, Origin="https://evil.example.net", **form
        )
        assert status == 403 and b"not this site" in refused
        assert request(server, "POST", "/submit", body, **form)[0] == 403  # no Origin/Referer
        ok = request(server, "POST", "/submit", body, Origin="https://localhost", **form)
        assert ok[0] == 200


def test_an_expired_session_is_dropped_over_sockets() -> None:
    from fastcore.security import Signer
    from fastcore.security.crypto import b64encode

    app = App(middleware=[(SessionMiddleware, {"secret_key": SECRET, "idle_timeout": 60})])

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, Any]:
        return {"user": request.session.get("user")}

    signer = Signer(SECRET, salt="fastcore.sessions")
    now = time.time()
    payload = b'{"i":"abc","c":%d,"d":{"user":"ada"}}' % int(now - 600)
    idle = signer.sign(b64encode(payload), timestamp=now - 300)  # last saved 5 minutes ago
    fresh = signer.sign(b64encode(payload), timestamp=now - 5)
    with LiveServer(app) as server:
        assert request(server, "GET", "/whoami", Cookie=f"session={fresh}")[2] == b'{"user":"ada"}'
        status, headers, body = request(server, "GET", "/whoami", Cookie=f"session={idle}")
        assert body == b'{"user":null}' and "Max-Age=0" in headers["set-cookie"]


def test_cors_preflight_over_sockets() -> None:
    app = App(
        middleware=[
            (
                CORSMiddleware,
                {
                    "allow_origins": ["https://app.example.com"],
                    "allow_methods": ["PUT"],
                    "allow_headers": ["x-token"],
                    "allow_credentials": True,
                },
            )
        ]
    )

    @app.route("/api", methods=["GET", "PUT"])
    async def api() -> dict[str, bool]:
        return {"ok": True}

    asks = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
    with LiveServer(app) as server:
        status, headers, _ = request(
            server, "OPTIONS", "/api", **asks, **{"Access-Control-Request-Headers": "X-Token"}
        )
        assert status == 204
        assert headers["access-control-allow-origin"] == "https://app.example.com"
        assert headers["access-control-allow-credentials"] == "true"
        assert headers["access-control-allow-methods"] == "PUT"
        assert headers["access-control-allow-headers"] == "x-token"
        for refused in (
            {**asks, "Origin": "https://evil.example.net"},
            {**asks, "Access-Control-Request-Method": "DELETE"},
            {**asks, "Access-Control-Request-Headers": "x-secret"},
        ):
            status, headers, _ = request(server, "OPTIONS", "/api", **refused)
            assert status == 400 and "access-control-allow-origin" not in headers
