"""CORS: preflights answered exactly per configuration, credentials per the Fetch spec."""

from __future__ import annotations

from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured
from fastcore.middleware.cors import CORSMiddleware
from fastcore.testing import TestClient


def cors_client(**options: Any) -> TestClient:
    app = App(middleware=[(CORSMiddleware, options)])

    @app.route("/api", methods=["GET", "PUT"])
    async def api() -> dict[str, bool]:
        return {"ok": True}

    return TestClient(app)


def preflight(client: TestClient, origin: str, method: str = "PUT", headers: str = "") -> Any:
    request_headers = {"origin": origin, "access-control-request-method": method}
    if headers:
        request_headers["access-control-request-headers"] = headers
    return client.options("/api", headers=request_headers)


def test_preflight_for_an_allowed_origin() -> None:
    client = cors_client(
        allow_origins=["https://app.example.com"],
        allow_methods=["GET", "PUT"],
        allow_headers=["x-token", "content-type"],
        allow_credentials=True,
        max_age=300,
    )
    response = preflight(client, "https://app.example.com", "PUT", "X-Token")
    assert response.status_code == 204
    headers = response.headers
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-allow-credentials"] == "true"
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-token"
    assert headers["access-control-max-age"] == "300"
    assert headers["vary"] == "Origin"


@pytest.mark.parametrize(
    "origin, method, headers",
    [
        ("https://evil.example.net", "PUT", ""),
        ("https://app.example.com", "DELETE", ""),
        ("https://app.example.com", "PUT", "x-secret"),
    ],
)
def test_preflight_refusals_carry_no_allow_origin(origin: str, method: str, headers: str) -> None:
    client = cors_client(
        allow_origins=["https://app.example.com"], allow_methods=["PUT"], allow_headers=["x-token"]
    )
    response = preflight(client, origin, method, headers)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert "CORS preflight refused" in response.text


def test_simple_requests_get_the_origin_echoed_or_nothing() -> None:
    client = cors_client(
        allow_origin_regex=r"https://[a-z]+\.example\.com", expose_headers=["x-id"]
    )
    allowed = client.get("/api", headers={"origin": "https://shop.example.com"})
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert allowed.headers["access-control-expose-headers"] == "x-id"
    assert allowed.headers["vary"] == "Origin"
    refused = client.get("/api", headers={"origin": "https://shop.example.com.evil.net"})
    assert refused.status_code == 200  # the browser, not the server, blocks the read
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in client.get("/api").headers


def test_wildcard_without_credentials_and_never_with_them() -> None:
    client = cors_client(allow_origins=["*"], allow_headers=["*"])
    response = client.get("/api", headers={"origin": "https://any.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "vary" not in response.headers
    assert (
        preflight(client, "https://any.example", "PUT", "x-a, x-b").headers[
            "access-control-allow-headers"
        ]
        == "x-a, x-b"
    )

    async def handler(request: Any) -> Any:
        raise AssertionError("never called")

    with pytest.raises(ImproperlyConfigured, match="Fetch"):
        CORSMiddleware(handler, allow_origins=["*"], allow_credentials=True)
    with pytest.raises(ImproperlyConfigured):
        CORSMiddleware(handler)
    with pytest.raises(ImproperlyConfigured):
        CORSMiddleware(handler, allow_origin_regex="[unclosed")
