"""The demo app's pages and endpoints, as a user reaches them."""

from __future__ import annotations

import uuid

import pytest

from fastcore.testing import TestClient


@pytest.fixture
def client() -> TestClient:
    from examples.demo.app import app

    return TestClient(app)


def test_home_page_greets_and_escapes(client: TestClient) -> None:
    page = client.get("/", params={"name": "<script>x</script>"}, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Hello, &lt;script&gt;x&lt;/script&gt;!" in page.text
    assert "<script>x</script>" not in page.text
    assert 'href="/api/squares/12"' in page.text


def test_json_and_typed_parameters(client: TestClient) -> None:
    assert client.get("/api/squares/12").json() == {"number": 12, "square": 144}
    assert client.get("/api/squares/twelve").status_code == 404
    ident = uuid.uuid4()
    assert client.get(f"/api/items/{ident}").json() == {"id": str(ident), "kind": "UUID"}
    assert client.get("/api/status").json()["status"] == "ok"
    assert client.post("/api/echo", json={"a": 1}).json() == {"received": {"a": 1}}
    assert client.post("/api/echo", content=b"{oops").status_code == 400


def test_hello_page(client: TestClient) -> None:
    assert "Hello, ada!" in client.get("/hello/ada").text
