"""The demo's notes page: list, create through the form (303 back), escaping, validation, CSRF."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from fastcore.testing import TestClient, TestResponse
from tests.demo_support import demo_app
from tests.security.helpers import token_from


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(demo_app()) as client:
        yield client


def post_note(client: TestClient, text: str, *, follow_redirects: bool = False) -> TestResponse:
    """Submit the notes form as a browser does: with the token the page carries."""
    token = token_from(client.get("/notes").text)
    return client.post(
        "/notes", data={"text": text, "csrf_token": token}, follow_redirects=follow_redirects
    )


def test_notes_page_lists_and_links(client: TestClient) -> None:
    page = client.get("/notes", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/notes">' in page.text
    assert '<input type="hidden" name="csrf_token" value="' in page.text
    assert 'href="/notes"' in client.get("/").text  # reachable from the navigation


def test_posting_a_note_redirects_303_and_lists_it_escaped(client: TestClient) -> None:
    marker = uuid.uuid4().hex
    text = f"<script>alert('{marker}')</script> & more"
    posted = post_note(client, text)
    assert posted.status_code == 303
    assert posted.headers["location"] == "/notes"
    listing = client.get("/notes").text
    assert f"&lt;script&gt;alert(&#39;{marker}&#39;)&lt;/script&gt; &amp; more" in listing
    assert "<script>" not in listing
    # Newest first: the note just added is the first of the list.
    first_item = listing.split('<ul class="notes">', 1)[1].split("</li>", 1)[0]
    assert marker in first_item


@pytest.mark.parametrize(
    "payload",
    [
        '<img src=x onerror="alert(1)">',
        "</textarea><script>alert(1)</script>",
        "<svg/onload=alert(1)>",
    ],
)
def test_stored_xss_payloads_are_escaped_for_every_visitor(
    client: TestClient, payload: str
) -> None:
    marker = uuid.uuid4().hex
    assert post_note(client, f"{marker}{payload}").status_code == 303
    # Another visitor (no cookies) reads the stored note.
    listing = TestClient(client.app).get("/notes").text
    assert marker in listing
    assert payload not in listing
    assert "<img" not in listing and "<script>" not in listing and "<svg" not in listing


def test_a_rejected_note_is_escaped_when_the_form_is_shown_again(client: TestClient) -> None:
    payload = "</textarea><script>alert(1)</script>" + "x" * 500
    page = post_note(client, payload)
    assert page.status_code == 422
    assert "&lt;/textarea&gt;&lt;script&gt;" in page.text and "<script>" not in page.text


def test_a_cross_site_post_without_the_token_is_refused_and_stores_nothing(
    client: TestClient,
) -> None:
    marker = uuid.uuid4().hex
    client.get("/notes")  # the victim has a session; the attacker's page cannot read its token
    forged = client.post("/notes", data={"text": marker}, headers={"accept": "text/html"})
    assert forged.status_code == 403
    assert "CSRF check failed" in forged.text
    stolen = token_from(TestClient(client.app).get("/notes").text)  # the attacker's own token
    forged = client.post("/notes", data={"text": marker, "csrf_token": stolen})
    assert forged.status_code == 403
    assert marker not in client.get("/notes").text


def test_following_the_redirect_shows_the_list(client: TestClient) -> None:
    marker = uuid.uuid4().hex
    page = post_note(client, marker, follow_redirects=True)
    assert page.status_code == 200
    assert page.url.endswith("/notes")
    assert marker in page.text


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
def test_invalid_notes_are_refused_and_not_stored(client: TestClient, text: str) -> None:
    before = client.get("/notes").text.count("<li>")
    page = post_note(client, text)
    assert page.status_code == 422
    assert "A note needs 1 to 500 characters." in page.text
    assert client.get("/notes").text.count("<li>") == before


def test_notes_are_paginated(client: TestClient) -> None:
    for _ in range(3):
        post_note(client, uuid.uuid4().hex)
    page = client.get("/notes", params={"size": 2}).text
    assert page.count("<li>") == 2
    assert 'rel="next" href="/notes?page=2&amp;size=2"' in page
    assert client.get("/notes", params={"page": "zero"}).status_code == 400
