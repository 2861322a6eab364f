"""The demo's typed notes API (examples/demo/typed_api.py), as a client uses it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from fastcore.testing import TestClient
from tests.typed_demo_support import typed_demo_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(typed_demo_app()) as client:
        yield client


def test_create_read_rename_delete(client: TestClient) -> None:
    created = client.post("/api/v1/notes", json={"text": "  typed note  "})
    assert created.status_code == 201
    note = created.json()
    assert note["text"] == "typed note" and set(note) == {"id", "text", "created_at"}
    url = f"/api/v1/notes/{note['id']}"
    assert client.get(url).json() == note
    renamed = client.patch(url, json={"text": "renamed"})
    assert renamed.json()["text"] == "renamed"
    assert client.delete(url).status_code == 204
    missing = client.get(url)
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"No note {note['id']}"


def test_listing_filters_orders_and_pages(client: TestClient) -> None:
    marker = f"listing-{uuid.uuid4().hex}"  # the other demo tests add notes too
    ids = [
        client.post("/api/v1/notes", json={"text": f"{marker} {i}"}).json()["id"] for i in range(3)
    ]
    newest = client.get("/api/v1/notes", params={"contains": marker, "limit": 2}).json()
    assert newest["total"] == 3 and newest["limit"] == 2 and newest["offset"] == 0
    assert [item["id"] for item in newest["items"]] == [ids[2], ids[1]]
    oldest = client.get(
        "/api/v1/notes", params={"contains": marker, "order": "oldest", "offset": 1}
    ).json()
    assert [item["id"] for item in oldest["items"]] == [ids[1], ids[2]]


def test_invalid_requests_get_precise_errors(client: TestClient) -> None:
    bad = client.get("/api/v1/notes", params={"limit": "0", "order": "random"})
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["errors"]] == [["query", "order"], ["query", "limit"]]
    blank = client.post("/api/v1/notes", json={"text": "   "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["loc"] == ["body", "text"]
    extra = client.post("/api/v1/notes", json={"text": "x", "admin": True})
    assert extra.json()["errors"][0]["type"] == "extra_forbidden"
    assert client.get("/api/v1/notes/0").status_code == 422


def test_a_cross_site_form_post_cannot_create_notes(client: TestClient) -> None:
    # The create endpoint is CSRF-exempt because it only takes JSON: a
    # cross-site page can send text/plain or form bodies, never JSON, without
    # a CORS preflight.
    forged = client.post(
        "/api/v1/notes", content=b'{"text": "forged"}', headers={"content-type": "text/plain"}
    )
    assert forged.status_code == 415
    form = client.post("/api/v1/notes", data={"text": "forged"})
    assert form.status_code == 415


def test_the_api_is_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert {"/api/v1/notes", "/api/v1/notes/{note_id}"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert schemas["NoteIn"]["properties"]["text"]["maxLength"] == 500
    assert client.get("/docs").status_code == 200
