"""The demo app's pages and endpoints, as a user reaches them."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest

from fastcore.testing import TestClient
from tests.demo_support import demo_app


@pytest.fixture
def client() -> TestClient:
    return TestClient(demo_app())


def test_home_page_greets_and_escapes(client: TestClient) -> None:
    page = client.get("/", params={"name": "<script>x</script>"}, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Hello, &lt;script&gt;x&lt;/script&gt;!" in page.text
    assert "<script>x</script>" not in page.text
    assert 'href="/api/squares/12"' in page.text


@pytest.mark.parametrize(
    "payload",
    [
        '"><img src=x onerror=alert(1)>',
        "</title><script>alert(1)</script>",
        "' autofocus onfocus='alert(1)",
    ],
)
def test_reflected_xss_payloads_are_escaped(client: TestClient, payload: str) -> None:
    # The name lands in the <title>, the <h1> and the input's value attribute.
    page = client.get("/", params={"name": payload}).text
    assert payload not in page
    assert "<img" not in page and "<script>" not in page
    assert "onfocus='" not in page
    hello = client.get("/hello/" + quote(payload.replace("/", ""), safe=""))
    assert hello.status_code == 200 and "<script" not in hello.text and "<img" not in hello.text


def test_pages_carry_the_security_headers_and_a_same_origin_stylesheet(
    client: TestClient,
) -> None:
    page = client.get("/")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "style-src 'self'" in page.headers["content-security-policy"]
    link = re.search(r'<link rel="stylesheet" href="(/static/[^"]+)">', page.text)
    assert link is not None and "<style" not in page.text
    stylesheet = client.get(link[1])
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"] == "text/css; charset=utf-8"
    assert "max-width: 40rem" in stylesheet.text
    revalidated = client.get(link[1], headers={"if-none-match": stylesheet.headers["etag"]})
    assert revalidated.status_code == 304


def test_a_forged_host_is_refused(client: TestClient) -> None:
    assert client.get("/", headers={"host": "evil.example.net"}).status_code == 400


def test_json_and_typed_parameters(client: TestClient) -> None:
    assert client.get("/api/squares/12").json() == {"number": 12, "square": 144}
    assert client.get("/api/squares/twelve").status_code == 404
    ident = uuid.uuid4()
    assert client.get(f"/api/items/{ident}").json() == {"id": str(ident), "kind": "UUID"}
    assert client.get("/api/status").json()["status"] == "ok"
    # The echo endpoint is CSRF-exempt (a JSON API acting for no one).
    assert client.post("/api/echo", json={"a": 1}).json() == {"received": {"a": 1}}
    assert client.post("/api/echo", content=b"{oops").status_code == 400


def test_hello_page(client: TestClient) -> None:
    assert "Hello, ada!" in client.get("/hello/ada").text
