"""The demo's notes page: list, create through the form (303 back), escaping, validation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from fastcore.testing import TestClient


@pytest.fixture
def client() -> Iterator[TestClient]:
    from examples.demo.app import app

    with TestClient(app) as client:
        yield client


def test_notes_page_lists_and_links(client: TestClient) -> None:
    page = client.get("/notes", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/notes">' in page.text
    assert 'href="/notes"' in client.get("/").text  # reachable from the navigation


def test_posting_a_note_redirects_303_and_lists_it_escaped(client: TestClient) -> None:
    marker = uuid.uuid4().hex
    text = f"<script>alert('{marker}')</script> & more"
    posted = client.post("/notes", data={"text": text}, follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"] == "/notes"
    listing = client.get("/notes").text
    assert f"&lt;script&gt;alert(&#39;{marker}&#39;)&lt;/script&gt; &amp; more" in listing
    assert "<script>" not in listing
    # Newest first: the note just added is the first of the list.
    first_item = listing.split('<ul class="notes">', 1)[1].split("</li>", 1)[0]
    assert marker in first_item


def test_following_the_redirect_shows_the_list(client: TestClient) -> None:
    marker = uuid.uuid4().hex
    page = client.post("/notes", data={"text": marker})
    assert page.status_code == 200
    assert page.url.endswith("/notes")
    assert marker in page.text


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
def test_invalid_notes_are_refused_and_not_stored(client: TestClient, text: str) -> None:
    before = client.get("/notes").text.count("<li>")
    page = client.post("/notes", data={"text": text}, follow_redirects=False)
    assert page.status_code == 422
    assert "A note needs 1 to 500 characters." in page.text
    assert client.get("/notes").text.count("<li>") == before


def test_notes_are_paginated(client: TestClient) -> None:
    for _ in range(3):
        client.post("/notes", data={"text": uuid.uuid4().hex}, follow_redirects=False)
    page = client.get("/notes", params={"size": 2}).text
    assert page.count("<li>") == 2
    assert 'rel="next" href="/notes?page=2&amp;size=2"' in page
    assert client.get("/notes", params={"page": "zero"}).status_code == 400
