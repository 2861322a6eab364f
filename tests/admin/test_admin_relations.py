"""Inlines, many-to-many fields, the foreign key lookup and relation search, on SQLite and
PostgreSQL: what a user sees, what is written, and what bad input gets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import pytest

from fastcore.admin import StackedInline
from tests.admin.conftest import Site, superuser_site
from tests.admin.support import AuthorAdmin, Book, BookAdmin, BookInline, build_app
from tests.orm.orm_support import Target

AUTHORS = "/admin/library/author"
BOOKS = "/admin/library/book"


def _author_with_books(site: Site, *titles: str, name: str = "Ursula") -> int:
    return site.make_authors({"name": name, "books": list(titles)})[0]


def _inline_rows(html: str) -> list[tuple[str, str]]:
    """(id, title) of the book rows of an author's form (blank rows have no id)."""
    ids = re.findall(r'name="book-(\d+)-id" value="([^"]*)"', html)
    titles = dict(re.findall(r'name="book-(\d+)-title"[^>]*value="([^"]*)"', html))
    return [(object_id, titles.get(index, "")) for index, object_id in ids]


def _author_form(site: Site, author: int) -> dict[str, Any]:
    """What the author's change form posts as it is: the name and every inline row."""
    html = site.client.get(f"{AUTHORS}/{author}/change").text
    fields: dict[str, Any] = {
        "name": re.search(r'name="name"[^>]*value="([^"]*)"', html).group(1),  # type: ignore[union-attr]
        "book-TOTAL_FORMS": re.search(r'name="book-TOTAL_FORMS" value="(\d+)"', html).group(1),  # type: ignore[union-attr]
        "book-INITIAL_FORMS": "0",
    }
    for index, (object_id, title) in enumerate(_inline_rows(html)):
        fields[f"book-{index}-id"] = object_id
        fields[f"book-{index}-title"] = title
        fields[f"book-{index}-genre"] = "novel"
    return fields


def _titles(site: Site, author: int) -> list[str]:
    html = site.client.get(f"{AUTHORS}/{author}/change").text
    return sorted(title for object_id, title in _inline_rows(html) if object_id)


# -- inlines ---------------------------------------------------------------------------


def test_inline_rows_are_added_changed_and_deleted_with_the_parent(superuser: Site) -> None:
    author = _author_with_books(superuser, "Earthsea", "Tehanu")
    page = superuser.client.get(f"{AUTHORS}/{author}/change")
    assert page.status_code == 200
    rows = _inline_rows(page.text)
    assert [title for _, title in rows] == ["Earthsea", "Tehanu", "", ""]  # 2 + extra=2
    assert 'name="book-TOTAL_FORMS" value="4"' in page.text
    assert 'name="book-0-author_id"' not in page.text  # the page sets the parent key
    fields = _author_form(superuser, author)
    fields.update(
        {
            "name": "Ursula K. Le Guin",
            "book-0-title": "A Wizard of Earthsea",
            "book-1-DELETE": "on",
            "book-2-title": "The Farthest Shore",
        }
    )
    response = superuser.post_form(f"{AUTHORS}/{author}/change", fields)
    assert response.status_code == 303, response.text
    assert _titles(superuser, author) == ["A Wizard of Earthsea", "The Farthest Shore"]
    history = superuser.client.get(f"{AUTHORS}/{author}/history").text
    assert "added The Farthest Shore" in history and "deleted Tehanu" in history


def test_inline_rows_on_the_add_form_are_written_with_the_new_parent(superuser: Site) -> None:
    response = superuser.post_form(
        AUTHORS + "/add",
        {
            "name": "Octavia",
            "book-TOTAL_FORMS": "2",
            "book-INITIAL_FORMS": "0",
            "book-0-id": "",
            "book-0-title": "Kindred",
            "book-0-genre": "novel",
            "book-1-id": "",
            "book-1-title": "",  # a blank row left as it was: skipped
            "book-1-genre": "novel",
        },
    )
    assert response.status_code == 303, response.text
    listing = superuser.client.get(BOOKS + "?q=Kindred").text
    assert "Octavia" in listing and "1 book" in listing


def test_an_invalid_inline_row_shows_its_error_and_nothing_is_written(superuser: Site) -> None:
    author = _author_with_books(superuser, "Earthsea")
    fields = _author_form(superuser, author)
    fields.update({"name": "Renamed", "book-1-title": "x" * 201, "book-0-title": "Changed"})
    response = superuser.post_form(f"{AUTHORS}/{author}/change", fields)
    assert response.status_code == 422
    assert "at most 200 characters" in response.text
    assert 'value="Changed"' in response.text  # the input is kept
    assert _titles(superuser, author) == ["Earthsea"]
    assert "Renamed" not in superuser.client.get(AUTHORS).text  # not even the parent


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"book-TOTAL_FORMS": None}, "book-TOTAL_FORMS is missing"),
        ({"book-TOTAL_FORMS": "many"}, "book-TOTAL_FORMS is missing or not a count"),
        ({"book-TOTAL_FORMS": "100000"}, "at most 100 rows"),
        ({"book-0-id": "999999"}, "is not a book of this object"),
        ({"book-0-id": "not-a-key"}, "is not a book of this object"),
    ],
)
def test_tampered_inline_management_data_is_refused(
    superuser: Site, changes: dict[str, Any], message: str
) -> None:
    author = _author_with_books(superuser, "Earthsea")
    fields = _author_form(superuser, author)
    fields.update({"name": "Renamed", "book-0-title": "Changed"})
    for key, value in changes.items():
        if value is None:
            fields.pop(key)
        else:
            fields[key] = value
    response = superuser.post_form(f"{AUTHORS}/{author}/change", fields)
    assert response.status_code == 400
    assert message in response.text
    assert _titles(superuser, author) == ["Earthsea"]


def test_another_parents_row_cannot_be_edited_through_the_inline(superuser: Site) -> None:
    mine = _author_with_books(superuser, "Mine")
    theirs = _author_with_books(superuser, "Theirs", name="Other")
    their_book = _inline_rows(superuser.client.get(f"{AUTHORS}/{theirs}/change").text)[0][0]
    fields = _author_form(superuser, mine)
    fields.update({"book-0-id": their_book, "book-0-title": "Stolen"})
    response = superuser.post_form(f"{AUTHORS}/{mine}/change", fields)
    assert response.status_code == 400
    assert _titles(superuser, theirs) == ["Theirs"]


def test_staff_without_the_child_permissions_cannot_edit_inlines(site: Site) -> None:
    site.make_user("root", is_superuser=True)
    site.make_user("editor", permissions=["library.view_author", "library.change_author"])
    site.make_user(
        "viewer",
        permissions=["library.view_author", "library.change_author", "library.view_book"],
    )
    site.log_in("root")
    author = _author_with_books(site, "Earthsea")
    full = _author_form(site, author)
    full.update({"book-0-title": "Hacked", "book-0-DELETE": "on", "book-1-title": "New"})
    # No book permission at all: no inline, and what is posted for it is ignored.
    site.log_in("editor")
    page = site.client.get(f"{AUTHORS}/{author}/change")
    assert page.status_code == 200 and "book-TOTAL_FORMS" not in page.text
    assert site.post_form(f"{AUTHORS}/{author}/change", full).status_code == 303
    # View only: the rows are shown as text, with no blank row, and posts change nothing.
    site.log_in("viewer")
    page = site.client.get(f"{AUTHORS}/{author}/change")
    assert "Earthsea" in page.text and 'name="book-0-title"' not in page.text
    assert 'name="book-1-id"' not in page.text and "book-0-DELETE" not in page.text
    assert site.post_form(f"{AUTHORS}/{author}/change", full).status_code == 303
    site.log_in("root")
    assert _titles(site, author) == ["Earthsea"]


def test_a_stacked_inline_renders_one_block_per_row(target: Target) -> None:
    class BookStacked(StackedInline):
        model = Book
        fields: ClassVar[list[str]] = ["title", "genre"]
        extra = 1

    class StackedAuthorAdmin(AuthorAdmin):
        inlines: ClassVar[list[Any]] = [BookStacked]

    with superuser_site(target, author_admin=StackedAuthorAdmin) as site:
        client = site.client
        author = _author_with_books(site, "Earthsea")
        page = client.get(f"{AUTHORS}/{author}/change").text
        assert 'class="inline-group stacked"' in page and "Book: Earthsea" in page
        assert "New book" in page


# -- many-to-many ----------------------------------------------------------------------


def _topics(site: Site, *names: str) -> list[int]:
    response = site.client.post("/test/topics", json=list(names))
    assert response.status_code == 200
    return list(response.json()["ids"])


class _TopicsInline(BookInline):
    fields: ClassVar[list[str]] = ["title", "genre", "topics"]


class _AuthorWithTopicsAdmin(AuthorAdmin):
    inlines: ClassVar[list[Any]] = [_TopicsInline]


def _picked(html: str, name: str) -> list[str]:
    """The options picked in the select ``name``."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert select is not None, f"no select {name}"
    return sorted(re.findall(r'<option value="(\d+)" selected>', select.group(0)))


def test_many_to_many_on_inline_rows(target: Target) -> None:
    with superuser_site(target, author_admin=_AuthorWithTopicsAdmin) as site:
        fantasy, sea = _topics(site, "fantasy", "sea")
        author = _author_with_books(site, "Earthsea")
        url = f"{AUTHORS}/{author}/change"
        page = site.client.get(url).text
        assert re.search(r'<select[^>]*name="book-0-topics"[^>]*multiple', page)
        fields = _author_form(site, author)
        fields.update({"book-0-topics": [str(fantasy), str(sea)], "book-1-title": "Tehanu"})
        fields["book-1-topics"] = [str(sea)]
        response = site.post_form(url, fields)
        assert response.status_code == 303, response.text
        page = site.client.get(url).text
        assert _picked(page, "book-0-topics") == sorted([str(fantasy), str(sea)])
        assert _picked(page, "book-1-topics") == [str(sea)]  # the new row's, written too
        # Unpicking one is a change of the row; an unknown key writes nothing at all.
        fields = _author_form(site, author)
        fields.update({"book-0-topics": [str(fantasy)], "book-1-topics": [str(sea)]})
        assert site.post_form(url, fields).status_code == 303
        assert "changed Earthsea" in site.client.get(f"{AUTHORS}/{author}/history").text
        fields = _author_form(site, author)
        fields.update({"name": "Renamed", "book-0-topics": [str(sea)], "book-1-topics": ["999999"]})
        refused = site.post_form(url, fields)
        assert refused.status_code == 422
        page = site.client.get(url).text
        assert "Renamed" not in page
        assert _picked(page, "book-0-topics") == [str(fantasy)]
        assert _picked(page, "book-1-topics") == [str(sea)]


def _book_of(site: Site, author: int) -> str:
    return _inline_rows(site.client.get(f"{AUTHORS}/{author}/change").text)[0][0]


def _book_fields(author: int, **extra: Any) -> dict[str, Any]:
    return {"title": "Earthsea", "genre": "novel", "author_id": str(author), **extra}


def test_many_to_many_is_picked_from_a_filterable_select_and_saved(superuser: Site) -> None:
    fantasy, magic, sea = _topics(superuser, "fantasy", "magic", "sea")
    author = _author_with_books(superuser, "Earthsea")
    book = _book_of(superuser, author)
    url = f"{BOOKS}/{book}/change"
    page = superuser.client.get(url).text
    assert re.search(r'<select[^>]*name="topics"[^>]*multiple', page)
    assert 'class="filterable"' in page
    response = superuser.post_form(url, _book_fields(author, topics=[str(fantasy), str(sea)]))
    assert response.status_code == 303, response.text
    page = superuser.client.get(url).text
    topics = re.search(r'<select[^>]*name="topics".*?</select>', page, re.S)
    assert topics is not None
    chosen = re.findall(r'<option value="(\d+)" selected>', topics.group(0))
    assert sorted(chosen) == sorted([str(fantasy), str(sea)])
    history = superuser.client.get(f"{BOOKS}/{book}/history").text
    assert "Topics" in history
    # Unpicking every topic empties the collection.
    assert superuser.post_form(url, _book_fields(author)).status_code == 303
    emptied = re.search(
        r'<select[^>]*name="topics".*?</select>', superuser.client.get(url).text, re.S
    )
    assert emptied is not None and "selected" not in emptied.group(0)
    assert f'<option value="{magic}">magic</option>' in emptied.group(0)


@pytest.mark.parametrize("bad", ["999999", "abc", "1; DROP TABLE admin_test_topics"])
def test_unknown_many_to_many_keys_are_refused_and_nothing_is_written(
    superuser: Site, bad: str
) -> None:
    (fantasy,) = _topics(superuser, "fantasy")
    author = _author_with_books(superuser, "Earthsea")
    book = _book_of(superuser, author)
    url = f"{BOOKS}/{book}/change"
    response = superuser.post_form(
        url, _book_fields(author, title="Renamed", topics=[str(fantasy), bad])
    )
    assert response.status_code == 422
    assert "is not one of them" in response.text
    assert "Renamed" not in superuser.client.get(BOOKS).text


class _TypedTopicsBookAdmin(BookAdmin):
    foreign_key_select_limit = 1  # past it, keys are typed


def test_many_to_many_past_the_select_limit_takes_typed_keys(target: Target) -> None:
    with superuser_site(target, book_admin=_TypedTopicsBookAdmin) as site:
        client = site.client
        fantasy, sea = _topics(site, "fantasy", "sea")
        author = _author_with_books(site, "Earthsea")
        _author_with_books(site, "Kindred", name="Octavia")  # two authors: a lookup too
        book = _book_of(site, author)
        url = f"{BOOKS}/{book}/change"
        page = client.get(url).text
        assert re.search(r'<input[^>]*name="topics"', page)  # typed keys, no select
        assert re.search(r'<input[^>]*name="author_id"[^>]*data-lookup-url', page)  # 2 > 1 rows
        missing = site.post_form(
            url, _book_fields(author, title="Renamed", topics=f"{sea}, 999999")
        )
        assert missing.status_code == 422
        assert "These do not exist: 999999." in missing.text
        assert site.post_form(url, _book_fields(author, topics="nope")).status_code == 422
        ok = site.post_form(url, _book_fields(author, topics=f"{fantasy}, {sea}"))
        assert ok.status_code == 303, ok.text
        assert f'value="{fantasy}, {sea}"' in client.get(url).text
        assert "Renamed" not in client.get(BOOKS).text


class _TopicLookupBookAdmin(BookAdmin):
    autocomplete_fields: ClassVar[list[str]] = ["topics"]


def test_many_to_many_lookup_searches_and_takes_typed_keys(target: Target) -> None:
    with superuser_site(target, book_admin=_TopicLookupBookAdmin) as site:
        client = site.client
        fantasy, magic, sea = _topics(site, "fantasy", "magic", "sea <b>")
        author = _author_with_books(site, "Earthsea")
        book = _book_of(site, author)
        url = f"{BOOKS}/{book}/change"
        page = client.get(url).text
        # Listed in autocomplete_fields: a key box with the lookup, whatever the table's size.
        assert re.search(
            r'<input[^>]*name="topics"[^>]*data-lookup-multiple="true"[^>]*'
            r'data-lookup-url="/admin/library/book/lookup\?field=topics"'
            r"|<input[^>]*name=\"topics\"[^>]*data-lookup-url=\"/admin/library/book/lookup"
            r'\?field=topics"[^>]*data-lookup-multiple="true"',
            page,
        ), page
        assert "<select" not in re.search(
            r'<div class="field field-topics.*?</div>', page, re.S
        ).group(0)  # type: ignore[union-attr]
        found = client.get(BOOKS + "/lookup?field=topics&term=SEA").json()
        assert found == {"results": [{"id": str(sea), "text": "sea <b>"}], "more": False}
        every = client.get(BOOKS + "/lookup?field=topics").json()["results"]
        assert sorted(item["text"] for item in every) == ["fantasy", "magic", "sea <b>"]
        # Saved from typed keys; the labels of the picks are shown (escaped) after the box.
        saved = site.post_form(url, _book_fields(author, topics=f"{sea}, {fantasy}"))
        assert saved.status_code == 303, saved.text
        page = client.get(url).text
        assert f'value="{fantasy}, {sea}"' in page
        assert ">fantasy, sea &lt;b&gt;</output>" in page
        # Bad keys: refused, nothing written, the input kept.
        bad = site.post_form(url, _book_fields(author, title="Renamed", topics=f"{magic}, 999999"))
        assert bad.status_code == 422 and "These do not exist: 999999." in bad.text
        assert f'value="{magic}, 999999"' in bad.text
        assert "Renamed" not in client.get(BOOKS).text
        assert site.post_form(url, _book_fields(author, topics="x; DROP")).status_code == 422
        assert f'value="{fantasy}, {sea}"' in client.get(url).text


def test_many_to_many_lookup_needs_view_permission_on_the_related_model(target: Target) -> None:
    app, _ = build_app(target, book_admin=_TopicLookupBookAdmin)
    from fastcore.testing import TestClient

    with TestClient(app) as client:
        site = Site(client)
        site.make_user("clerk", permissions=["library.change_book", "library.view_book"])
        site.log_in("clerk")
        assert client.get(BOOKS + "/lookup?field=topics").status_code == 403


# -- the foreign key lookup ------------------------------------------------------------


class _LookupBookAdmin(BookAdmin):
    autocomplete_fields: ClassVar[list[str]] = ["author"]
    search_fields: ClassVar[list[str]] = ["title", "author__name"]


@pytest.fixture
def lookup_site(target: Target) -> Any:
    with superuser_site(target, book_admin=_LookupBookAdmin) as site:
        yield site


def test_lookup_answers_matching_rows_as_json(lookup_site: Site) -> None:
    ursula = _author_with_books(lookup_site, "Earthsea")
    _author_with_books(lookup_site, "Kindred", name="Octavia")
    found = lookup_site.client.get(BOOKS + "/lookup?field=author_id&term=urs")
    assert found.status_code == 200
    assert found.json() == {"results": [{"id": str(ursula), "text": "Ursula"}], "more": False}
    everyone = lookup_site.client.get(BOOKS + "/lookup?field=author_id").json()
    assert {item["text"] for item in everyone["results"]} == {"Ursula", "Octavia"}
    # Wildcards are literal; the term is a bound parameter.
    assert (
        lookup_site.client.get(BOOKS + "/lookup?field=author_id&term=%25").json()["results"] == []
    )
    quote = lookup_site.client.get(BOOKS + "/lookup?field=author_id&term=%27+OR+1%3D1+--")
    assert quote.status_code == 200 and quote.json()["results"] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("field=title&term=a", "no foreign key"),
        ("field=nothing", "no foreign key"),
        ("term=a", "no foreign key"),
        ("field=author_id&term=" + "a" * 101, "longer than 100"),
        ("field=author_id&page=0", "page must be"),
        ("field=author_id&page=abc", "page must be"),
        ("field=author_id&page=99999", "page must be"),
        ("field=author_id&sql=1", "unknown query parameter"),
        ("field=author_id&field=author_id", "given twice"),
    ],
)
def test_lookup_refuses_bad_parameters(lookup_site: Site, query: str, message: str) -> None:
    response = lookup_site.client.get(f"{BOOKS}/lookup?{query}")
    assert response.status_code == 400
    assert message in response.text


def test_lookup_is_for_staff_with_the_permissions(site: Site) -> None:
    anonymous = site.client.get(BOOKS + "/lookup?field=author_id", follow_redirects=False)
    assert anonymous.status_code == 303
    site.make_user("nobody", is_staff=False)
    site.make_user("staff")
    site.make_user("adder", permissions=["library.add_book"])
    site.make_user("both", permissions=["library.add_book", "library.view_author"])
    for username, status in [("nobody", 403), ("staff", 403), ("adder", 403), ("both", 200)]:
        site.log_in(username)
        response = site.client.get(BOOKS + "/lookup?field=author_id")
        assert response.status_code == status, username
    assert site.client.get("/admin/library/nothing/lookup?field=x").status_code == 404


def test_an_autocomplete_field_works_as_a_typed_key_without_scripts(lookup_site: Site) -> None:
    ursula = _author_with_books(lookup_site, "Earthsea")
    octavia = _author_with_books(lookup_site, "Kindred", name="Octavia")
    book = _book_of(lookup_site, ursula)
    url = f"{BOOKS}/{book}/change"
    page = lookup_site.client.get(url).text
    assert re.search(
        r'<input[^>]*data-lookup-url="/admin/library/book/lookup\?field=author_id"', page
    )
    assert f'value="{ursula}"' in page and '<output class="related-label"' in page
    missing = lookup_site.post_form(url, _book_fields(ursula, author_id="999999", title="Lost"))
    assert missing.status_code == 422 and "does not exist" in missing.text
    moved = lookup_site.post_form(url, _book_fields(octavia))
    assert moved.status_code == 303
    assert ">Octavia</output>" in lookup_site.client.get(url).text


def test_search_follows_relationships(lookup_site: Site) -> None:
    _author_with_books(lookup_site, "Earthsea", "Tehanu")
    _author_with_books(lookup_site, "Kindred", name="Octavia")
    listing = lookup_site.client.get(BOOKS + "?q=ursula").text
    assert "Earthsea" in listing and "Tehanu" in listing and "Kindred" not in listing
    assert "Kindred" in lookup_site.client.get(BOOKS + "?q=octa+kin").text
    assert lookup_site.client.get(BOOKS + "?q=%25_").status_code == 200


def test_search_fields_through_an_unknown_relationship_fail_the_check(target: Target) -> None:
    class Broken(BookAdmin):
        search_fields: ClassVar[list[str]] = ["author__missing", "nothing__name"]

    app, _ = build_app(target, book_admin=Broken)
    messages = [message.msg for message in app.run_checks() if message.id == "admin.E126"]
    assert messages == [
        "Broken.search_fields 'author__missing': Author has no column 'missing'",
        "Broken.search_fields 'nothing__name': Book has no relationship 'nothing'",
    ]


# -- view on site, template overrides --------------------------------------------------


def test_view_on_site_links_to_the_objects_url(superuser: Site) -> None:
    author = _author_with_books(superuser, "Earthsea")
    page = superuser.client.get(f"{AUTHORS}/{author}/change").text
    assert f'<a href="/authors/{author}">View on site</a>' in page
    book = _book_of(superuser, author)
    assert "View on site" not in superuser.client.get(f"{BOOKS}/{book}/change").text


def test_a_model_admin_can_give_the_site_url(target: Target) -> None:
    class SiteBookAdmin(BookAdmin):
        def view_on_site(self, obj: Any) -> str | None:
            return f"/books/{obj.id}?from=admin&x=<y>"

    with superuser_site(target, book_admin=SiteBookAdmin) as site:
        client = site.client
        book = _book_of(site, _author_with_books(site, "Earthsea"))
        page = client.get(f"{BOOKS}/{book}/change").text
        assert f'href="/books/{book}?from=admin&amp;x=&lt;y&gt;">View on site' in page


def test_per_app_and_per_model_templates_win(target: Target, tmp_path: Path) -> None:
    model_folder = tmp_path / "admin" / "library" / "author"
    model_folder.mkdir(parents=True)
    (model_folder / "change_form.html").write_text(
        '{% extends "admin/change_form.html" %}{% block content %}<p id="mine">'
        "Author form override</p>{{ super() }}{% endblock %}"
    )
    (tmp_path / "admin" / "library" / "change_list.html").write_text(
        '{% extends "admin/change_list.html" %}{% block content %}<p id="app">'
        "Library list override</p>{{ super() }}{% endblock %}"
    )
    with superuser_site(target, templates=str(tmp_path)) as site:
        client = site.client
        author = _author_with_books(site, "Earthsea")
        assert "Author form override" in client.get(f"{AUTHORS}/{author}/change").text
        book = _book_of(site, author)
        assert "Author form override" not in client.get(f"{BOOKS}/{book}/change").text
        assert "Library list override" in client.get(AUTHORS).text
        assert "Library list override" in client.get(BOOKS).text
        assert "Library list override" not in client.get("/admin/auth/user").text


def test_misconfigured_inlines_and_autocomplete_fields_fail_the_checks(target: Target) -> None:
    from tests.admin.support import Tag

    class TagInline(StackedInline):
        model = Tag  # no foreign key to Author

    class BadAuthorAdmin(AuthorAdmin):
        inlines: ClassVar[list[Any]] = [TagInline]

    class BadBookAdmin(BookAdmin):
        autocomplete_fields: ClassVar[list[str]] = ["title", "author"]

    app, admin = build_app(target, book_admin=BadBookAdmin, author_admin=BadAuthorAdmin)
    found = {message.id: message.msg for message in app.run_checks()}
    assert "Tag needs exactly one foreign key to Author" in found["admin.E202"]
    assert "'title' is no foreign key" in found["admin.E037"]
    admin.registry.pop(next(model for model in admin.registry if model.__name__ == "Author"))
    found = {message.id: message.msg for message in app.run_checks()}
    assert "points to Author, which is not registered" in found["admin.E039"]
