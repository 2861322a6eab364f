"""Who gets in: staff only, per-model permissions, CSRF on every form, escaped values."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from fastcore import Request
from fastcore.admin import Admin, ModelAdmin
from fastcore.exceptions import ImproperlyConfigured
from fastcore.testing import TestClient
from tests.admin.conftest import Site
from tests.admin.support import Book, BookAdmin, build_app
from tests.orm.orm_support import Target

BOOKS = "/admin/library/book"


def _pages(book_id: int) -> list[str]:
    return [
        BOOKS,
        BOOKS + "/add",
        f"{BOOKS}/{book_id}/change",
        f"{BOOKS}/{book_id}/delete",
        f"{BOOKS}/{book_id}/history",
    ]


def _book_id(site: Site) -> int:
    [author] = site.make_authors({"name": "Ann", "books": ["Alpha"]})
    return author  # the first author's first book has the same id in a fresh database


def test_anonymous_visitors_are_sent_to_log_in(site: Site) -> None:
    for url in ["/admin", *_pages(1)]:
        response = site.client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/accounts/login?next=")


def test_a_user_who_is_not_staff_is_refused_everywhere(site: Site) -> None:
    book = _book_id(site)
    site.make_user("reader", is_staff=False, permissions=["library.change_book"])
    site.log_in("reader")
    for url in ["/admin", *_pages(book)]:
        assert site.client.get(url).status_code == 403, url


def test_staff_without_the_permission_gets_403_on_each_page_and_action(site: Site) -> None:
    book = _book_id(site)
    site.make_user("clerk")
    site.log_in("clerk")
    index = site.client.get("/admin")
    assert index.status_code == 200 and "no permission to see any model" in index.text
    for url in _pages(book):
        assert site.client.get(url).status_code == 403, url
    token = _token(site, "/admin")
    for url in _pages(book)[:4]:
        response = site.client.post(
            url,
            data={
                "csrf_token": token,
                "title": "Hacked",
                "action": "delete_selected",
                "_selected": str(book),
                "post": "yes",
            },
        )
        assert response.status_code == 403, url
    _assert_title(site, book, "Alpha")


def test_view_permission_shows_read_only_pages_and_refuses_writes(site: Site) -> None:
    book = _book_id(site)
    site.make_user("viewer", permissions=["library.view_book"])
    site.log_in("viewer")
    listing = site.client.get(BOOKS)
    assert listing.status_code == 200 and "Alpha" in listing.text
    assert "Add book" not in listing.text and 'name="action"' not in listing.text
    form = site.client.get(f"{BOOKS}/{book}/change")
    assert form.status_code == 200
    body = form.text.split('class="change-form"')[1]
    assert re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")', body) == []
    assert '<span class="value">Alpha</span>' in body
    assert "Save" not in form.text
    token = _token(site, BOOKS)
    change = site.client.post(f"{BOOKS}/{book}/change", data={"csrf_token": token, "title": "X"})
    assert change.status_code == 403
    for action in ("delete_selected", "publish"):
        refused = site.client.post(
            BOOKS, data={"csrf_token": token, "action": action, "_selected": str(book)}
        )
        assert refused.status_code == 403
    assert site.client.get(BOOKS + "/add").status_code == 403
    assert site.client.get(f"{BOOKS}/{book}/delete").status_code == 403
    _assert_title(site, book, "Alpha")


def test_change_permission_without_delete(site: Site) -> None:
    book = _book_id(site)
    site.make_user("editor", permissions=["library.change_book"])
    site.log_in("editor")
    page = site.client.get(f"{BOOKS}/{book}/change")
    assert "Save" in page.text and "/delete" not in page.text
    assert site.client.get(f"{BOOKS}/{book}/delete").status_code == 403
    listing = site.client.get(BOOKS).text
    assert 'value="publish"' in listing and 'value="delete_selected"' not in listing


def test_forms_without_a_valid_csrf_token_are_refused(site: Site) -> None:
    book = _book_id(site)
    site.make_user("root", is_superuser=True)
    site.log_in("root")
    assert site.client.get(BOOKS).status_code == 200  # the session now has a token
    fields = {"title": "Forged", "genre": "novel", "author_id": "1"}
    assert site.client.post(BOOKS + "/add", data=fields).status_code == 403
    assert site.client.post(f"{BOOKS}/{book}/change", data=fields).status_code == 403
    assert site.client.post(f"{BOOKS}/{book}/delete", data={}).status_code == 403
    bulk = {"action": "delete_selected", "_selected": str(book), "post": "yes"}
    assert site.client.post(BOOKS, data=bulk).status_code == 403
    # Another session's token does not do either.
    saved = dict(site.client.cookies)
    site.client.cookies.clear()
    stolen = _token_from(site.client.get("/accounts/login").text)  # a visitor's own token
    site.client.cookies.clear()
    site.client.cookies.update(saved)
    forged = site.client.post(BOOKS, data={"csrf_token": stolen, **bulk})
    assert forged.status_code == 403
    _assert_title(site, book, "Alpha")


def test_values_are_escaped_everywhere(site: Site) -> None:
    site.make_authors({"name": "<script>alert(1)</script>", "books": ['"><img src=x>']})
    site.make_user("root", is_superuser=True)
    site.log_in("root")
    for url in (BOOKS, f"{BOOKS}/1/change", "/admin/library/author/1/delete", "/admin"):
        html = site.client.get(url).text
        assert "<script>alert" not in html and "<img src=x>" not in html, url
    assert "&lt;script&gt;" in site.client.get(BOOKS).text
    search = site.client.get(BOOKS + "?q=%27%20OR%201%3D1%20--")
    assert search.status_code == 200 and "0 books" in search.text


def test_get_queryset_restricts_the_rows_an_admin_reaches(target: Target) -> None:
    class PublishedOnly(BookAdmin):
        def get_queryset(self, request: Request) -> sa.Select[Any]:
            return sa.select(Book).where(Book.published.is_(True))

    app, _ = build_app(target, book_admin=PublishedOnly)
    with TestClient(app) as client:
        site = Site(client)
        book = _book_id(site)
        site.make_user("root", is_superuser=True)
        site.log_in("root")
        assert "0 books" in client.get(BOOKS).text
        assert client.get(f"{BOOKS}/{book}/change").status_code == 404
        token = _token(site, BOOKS)
        bulk = {"csrf_token": token, "action": "delete_selected", "_selected": str(book)}
        assert client.post(BOOKS, data={**bulk, "post": "yes"}).status_code == 404


def test_bad_options_and_missing_batteries_are_startup_errors(target: Target) -> None:
    class Broken(ModelAdmin):
        list_display = ["title", "nope"]
        search_fields = ["missing"]
        list_filter = ["title"]
        ordering = ["-nothing"]

    app, _ = build_app(target, book_admin=Broken)
    found = {message.id for message in app.run_checks()}
    assert {"admin.E108", "admin.E126", "admin.E116", "admin.E033"} <= found
    assert len([message for message in app.run_checks() if "nope" in message.msg]) == 1
    from fastcore import App

    bare = App(security=False)
    bare.install(Admin())
    with pytest.raises(ImproperlyConfigured, match="admin.E001.*admin.E002.*admin.E003"):
        with TestClient(bare):
            pass


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None
    return match.group(1)


def _token(site: Site, url: str) -> str:
    return _token_from(site.client.get(url).text)


def _assert_title(site: Site, book: int, title: str) -> None:
    site.client.cookies.clear()
    site.make_user(f"checker{len(title)}{book}", is_superuser=True)
    site.log_in(f"checker{len(title)}{book}")
    assert f'value="{title}"' in site.client.get(f"{BOOKS}/{book}/change").text
