"""Trusted hosts, https redirect and proxy headers: spoofing and poisoning attempts fail."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured, Request
from fastcore.middleware.https_redirect import HTTPSRedirectMiddleware
from fastcore.middleware.proxy_headers import ProxyHeadersMiddleware, parse_forwarded
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.testing import LiveServer, TestClient


def echo_app(*middleware: Any) -> App:
    app = App(middleware=list(middleware))

    @app.route("/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> dict[str, Any]:
        return {
            "client": request.client[0] if request.client else None,
            "scheme": request.scheme,
            "host": request.host,
            "url": str(request.url),
        }

    return app


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("example.com", True),
        ("EXAMPLE.com:8443", True),
        ("a.example.com", True),
        ("a.b.example.com", True),
        ("evil.com", False),
        ("example.com.evil.com", False),
        ("notexample.com", False),
        ("", False),
        ("[::1]:8000", True),
        ("example.com.", True),  # the fully qualified form of the same name
        ("A.Example.Com.:443", True),
        ("example.com..", False),
        (".", False),
        ("evil.com.", False),
    ],
)
def test_host_header_poisoning_is_refused(host: str, allowed: bool) -> None:
    app = echo_app(
        (TrustedHostMiddleware, {"allowed_hosts": ["example.com", "*.example.com", "[::1]"]})
    )
    response = TestClient(app).get("/echo", headers={"host": host})
    assert response.status_code == (200 if allowed else 400)
    if not allowed:
        assert "Invalid Host header" in response.text


def test_an_allowed_host_written_with_its_trailing_dot_matches_both_forms() -> None:
    app = echo_app((TrustedHostMiddleware, {"allowed_hosts": ["Example.com."]}))
    client = TestClient(app)
    assert client.get("/echo", headers={"host": "example.com"}).status_code == 200
    assert client.get("/echo", headers={"host": "example.com."}).status_code == 200
    assert client.get("/echo", headers={"host": "other.com"}).status_code == 400


def test_trusted_hosts_config_errors_fail_at_startup() -> None:
    with pytest.raises(ImproperlyConfigured):
        TrustedHostMiddleware(echo_app(), allowed_hosts=[])
    with pytest.raises(ImproperlyConfigured):
        TrustedHostMiddleware(echo_app(), allowed_hosts=["ex*ample.com"])


def test_https_redirect_keeps_path_query_and_method() -> None:
    app = echo_app(HTTPSRedirectMiddleware)
    client = TestClient(app, follow_redirects=False)
    response = client.post("/echo?a=1", headers={"host": "example.com:8000"})
    assert response.status_code == 308
    assert response.headers["location"] == "https://example.com/echo?a=1"
    secure = TestClient(app, base_url="https://example.com")
    assert secure.get("/echo").json()["scheme"] == "https"


def test_https_redirect_without_a_host_is_refused() -> None:
    # HTTP/1.0 may omit Host: no https URL can be built (not https:///echo).
    app = echo_app(HTTPSRedirectMiddleware)
    with LiveServer(app) as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /echo HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"location" not in answer.lower()


def test_spoofed_forwarded_headers_from_an_untrusted_peer_are_ignored() -> None:
    # The test client's peer is 127.0.0.1; trust only a proxy network it is not in.
    app = echo_app((ProxyHeadersMiddleware, {"trusted_proxies": ["10.0.0.0/8"]}))
    spoof = {
        "x-forwarded-for": "1.2.3.4",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "evil.com",
        "forwarded": "for=5.6.7.8;proto=https",
    }
    body = TestClient(app).get("/echo", headers=spoof).json()
    assert body["client"] == "127.0.0.1" and body["scheme"] == "http"
    assert body["host"] == "testserver"


def test_forwarded_headers_from_a_trusted_proxy_are_honored() -> None:
    app = echo_app((ProxyHeadersMiddleware, {"trusted_proxies": ["127.0.0.1", "10.0.0.0/8"]}))
    client = TestClient(app)
    body = client.get(
        "/echo",
        headers={
            # The client forged the first entry; the proxies appended the rest.
            "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.1.2.3",
            "x-forwarded-proto": "https",
            "x-forwarded-host": "shop.example.com",
        },
    ).json()
    assert body == {
        "client": "203.0.113.9",
        "scheme": "https",
        "host": "shop.example.com",
        "url": "https://shop.example.com/echo",
    }
    rfc = client.get(
        "/echo", headers={"forwarded": 'for="[2001:db8::7]:4711";proto=https;host=a.example'}
    ).json()
    assert rfc["client"] == "2001:db8::7" and rfc["scheme"] == "https"
    assert rfc["host"] == "a.example"
    junk = client.get("/echo", headers={"x-forwarded-for": "unknown", "x-forwarded-proto": "ftp"})
    assert junk.json()["client"] == "127.0.0.1" and junk.json()["scheme"] == "http"


def test_parse_forwarded_and_bad_proxy_config() -> None:
    assert parse_forwarded('for=1.2.3.4;proto=http, for="[::1]";By=x') == [
        {"for": "1.2.3.4", "proto": "http"},
        {"for": "[::1]", "by": "x"},
    ]
    with pytest.raises(ImproperlyConfigured):
        ProxyHeadersMiddleware(echo_app(), trusted_proxies=["not-an-ip"])
    with pytest.raises(ImproperlyConfigured):
        ProxyHeadersMiddleware(echo_app(), trusted_proxies=[])
