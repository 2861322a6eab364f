"""The tutorial's app (examples/tutorial, docs/tutorial/): its pages, form, accounts, admin, API.

Part 6 of the tutorial shows this file: it is written as the reader's own
tests, with the fixtures of fastcore's pytest plugin (``client``, ``db``,
``create_user``, ``login``). Each test runs in a transaction rolled back
after it, on a test database the plugin creates.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from examples.tutorial.models import Bookmark
from fastcore.auth.hashers import TEST_HASHER


# --8<-- [start:fixture]
@pytest.fixture
def app():
    """The app under test, with a test key and hosts (debug stays off, as in production)."""
    from examples.tutorial.app import app, auth

    app.settings.secret_key = "tutorial-tests-0123456789-abcdefghijklmnopqrstuvwxyz"
    app.settings.allowed_hosts = ["testserver", "127.0.0.1"]
    auth.hasher = TEST_HASHER  # a cheap password hash: tests create many users
    return app


def csrf_token(page):
    """The CSRF token a page's form carries (a browser sends it back with the form)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


# --8<-- [end:fixture]


# --8<-- [start:pages]
def test_home_page_without_bookmarks(client, db):
    page = client.get("/")
    assert page.status_code == 200
    assert "No bookmarks yet." in page.text


def test_adding_needs_a_login(client, db):
    answer = client.get("/add", headers={"accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/accounts/login?next=%2Fadd"


def test_a_logged_in_user_adds_a_bookmark(client, db, create_user, login):
    user = create_user("ada")
    login(user)
    form = client.get("/add")
    answer = client.post(
        "/add",
        data={
            "url": "https://example.org/",
            "title": "<b>Example</b>",
            "csrf_token": csrf_token(form),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "&lt;b&gt;Example&lt;/b&gt;" in client.get("/").text  # escaped by the template
    saved = db.scalar(select(Bookmark))
    assert (saved.url, saved.owner_id) == ("https://example.org/", user.id)


def test_the_form_refuses_other_schemes(client, db, create_user, login):
    login(create_user("ada"))
    token = csrf_token(client.get("/add"))
    data = {"url": "javascript:alert(1)", "title": "x", "csrf_token": token}
    answer = client.post("/add", data=data)
    assert answer.status_code == 422
    assert "Enter an http:// or https:// address." in answer.text
    assert db.scalar(select(Bookmark)) is None


# --8<-- [end:pages]


# --8<-- [start:admin]
def test_staff_see_bookmarks_in_the_admin(client, db, create_user, login):
    db.add(Bookmark(url="https://example.org/", title="Example"))
    db.commit()
    login(create_user("root", is_staff=True, is_superuser=True))
    page = client.get("/admin/tutorial/bookmark")  # /admin/<app label>/<model>
    assert page.status_code == 200
    assert "Example" in page.text


def test_the_admin_is_for_staff_only(client, db, create_user, login):
    login(create_user("ada"))
    assert client.get("/admin", follow_redirects=False).status_code == 403


# --8<-- [end:admin]


# --8<-- [start:api]
def test_api_lists_the_newest_first(client, db):
    db.add_all([Bookmark(url=f"https://example.org/{n}", title=f"n{n}") for n in range(3)])
    db.commit()
    answer = client.get("/api/bookmarks", params={"limit": 2})
    assert answer.status_code == 200
    assert [item["title"] for item in answer.json()] == ["n2", "n1"]


def test_api_validates_its_input(client, db, create_user, login):
    assert client.get("/api/bookmarks", params={"limit": 0}).status_code == 422
    assert client.get("/api/bookmarks/12345").status_code == 404
    body = {"url": "https://example.org/", "title": "Example"}
    assert client.post("/api/bookmarks", json=body).status_code == 403  # no CSRF token
    headers = {"x-csrf-token": csrf_token(client.get("/accounts/login"))}
    assert client.post("/api/bookmarks", json=body, headers=headers).status_code == 401
    login(create_user("ada"))  # a new session: a new CSRF token
    headers = {"x-csrf-token": csrf_token(client.get("/add"))}
    refused = client.post("/api/bookmarks", json={**body, "url": "ftp://x"}, headers=headers)
    assert refused.status_code == 422
    created = client.post("/api/bookmarks", json=body, headers=headers)
    assert created.status_code == 201
    assert created.json()["title"] == "Example"


def test_the_api_is_documented(client):
    document = client.get("/openapi.json").json()
    assert set(document["paths"]) >= {"/api/bookmarks", "/api/bookmarks/{bookmark_id}"}
    assert client.get("/docs").status_code == 200


# --8<-- [end:api]
