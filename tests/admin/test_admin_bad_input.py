"""Bad input through every form field of every test model: a clear error on the form
(422), never a 500, and nothing written; on SQLite and PostgreSQL.

Each case posts one field wrong and the others right, so the error can only be that
field's, and the count of rows afterwards shows nothing was written.
"""

from __future__ import annotations

import re
from typing import Any

from tests.admin.conftest import Site

BOOKS = "/admin/library/book"
HUGE = "9" * 25  # past any integer column
BIGINT_PAST = str(2**63)  # past PostgreSQL's bigint, the widest integer key

# (model, good fields, the field made bad, its bad value, what the error says)
CASES: list[tuple[str, dict[str, str], str, Any, str]] = []
BOOK = {"title": "Fine", "genre": "novel", "published": "", "added_at": ""}
for bad_field, bad_value, message in [
    ("title", "", "required"),
    ("title", "x" * 201, "at most 200"),
    ("genre", "sonnet", "valid choice"),
    ("added_at", "yesterday", "valid date"),
    ("added_at", "2024-13-45T99:00", "valid date"),
    ("author_id", "", "required"),
    ("author_id", "424242", "valid choice"),
    ("author_id", "abc", "valid choice"),
    ("author_id", HUGE, "valid choice"),
    ("topics", ["424242"], "not one of them"),
    ("topics", ["x"], "not one of them"),
]:
    CASES.append(("book", BOOK, bad_field, bad_value, message))
for bad_field, bad_value, message in [
    ("room", "", "required"),
    ("room", "r" * 21, "at most 20"),
    ("number", "three", "whole number"),
    ("number", HUGE, "at most 2147483647"),
    ("number", "1.5", "whole number"),
    ("capacity", "-" * 3, "whole number"),
    ("capacity", BIGINT_PAST, "at most 2147483647"),
]:
    CASES.append(
        ("shelf", {"room": "east", "number": "1", "capacity": "5"}, bad_field, bad_value, message)
    )
CASES += [
    ("gadget", {"spec": "{}", "serial": ""}, "spec", "[1,", "valid JSON"),
    ("gadget", {"spec": "{}", "serial": ""}, "serial", "not-a-uuid", "valid UUID"),
    ("gadget", {"spec": "{}", "serial": ""}, "serial", "1" * 500, "valid UUID"),
    ("tag", {"label": "x"}, "label", "l" * 51, "at most 50"),
    (
        "author",
        {"name": "Ann", "book-TOTAL_FORMS": "0", "book-INITIAL_FORMS": "0"},
        "name",
        "n" * 101,
        "at most 100",
    ),
]


def _count(site: Site, model: str) -> str:
    page = site.client.get(f"/admin/library/{model}").text
    found = re.search(r'<span class="count">([^<]*)</span>', page)
    assert found is not None, page
    return found.group(1)


def test_bad_input_in_each_field_is_a_form_error_and_writes_nothing(superuser: Site) -> None:
    [author] = superuser.make_authors({"name": "Ann"})
    for model, good, field, value, message in CASES:
        fields: dict[str, Any] = {**good, "author_id": str(author), field: value}
        before = _count(superuser, model)
        response = superuser.post_form(f"/admin/library/{model}/add", fields)
        case = (model, field, value)
        assert response.status_code == 422, (case, response.status_code, response.text[-2000:])
        assert message in response.text, (case, message)
        assert re.search(r'class="[^"]*has-error', response.text), case
        assert _count(superuser, model) == before, case


def test_bad_input_on_a_change_form_leaves_the_row_as_it_was(superuser: Site) -> None:
    [author] = superuser.make_authors({"name": "Ann", "books": ["Alpha"]})
    listing = superuser.client.get(BOOKS + "?q=Alpha").text
    book = re.search(r"/admin/library/book/(\d+)/change", listing).group(1)  # type: ignore[union-attr]
    url = f"{BOOKS}/{book}/change"
    for field, value in [("author_id", BIGINT_PAST), ("title", "x" * 201), ("genre", "")]:
        fields = {"title": "Changed", "genre": "novel", "author_id": str(author), field: value}
        response = superuser.post_form(url, fields)
        assert response.status_code == 422, (field, response.text[-2000:])
    assert "Changed" not in superuser.client.get(BOOKS).text
    # A key past the column's range in the URL is no object (not a database error).
    for object_id in ("99999999999", "-99999999999", "9223372036854775808"):
        assert superuser.client.get(f"{BOOKS}/{object_id}/change").status_code == 404
    assert "Alpha" in superuser.client.get(BOOKS).text
