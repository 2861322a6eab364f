"""The admin's pages end to end, as a superuser, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

from tests.admin.conftest import Site
from tests.admin.support import PASSWORD

BOOKS = "/admin/library/book"


def rows_of(html: str) -> list[str]:
    """The linked titles of a change list, in order."""
    return re.findall(r'<td><a href="/admin/library/book/[^"]+/change">([^<]*)</a></td>', html)


def test_index_lists_the_registered_models_with_users_and_groups(superuser: Site) -> None:
    page = superuser.client.get("/admin")
    assert page.status_code == 200
    for name in ("Authors", "Books", "Tags", "Shelfs", "Users", "Groups"):
        assert f">{name}</a>" in page.text


def test_change_list_searches_filters_sorts_and_paginates(superuser: Site) -> None:
    superuser.make_authors(
        {"name": "Ann", "books": ["Alpha", "Beta", "Gamma"], "pages": {"Gamma": 177}},
        {"name": "Bob", "books": ["Delta", "Epsilon", "Zeta", "Eta"]},
    )
    client = superuser.client
    first = client.get(BOOKS)
    assert rows_of(first.text) == ["Alpha", "Beta", "Delta", "Epsilon", "Eta"]  # 5 per page
    assert "7 books" in first.text and "Page 1 of 2" in first.text
    assert rows_of(client.get(BOOKS + "?page=2").text) == ["Gamma", "Zeta"]
    assert rows_of(client.get(BOOKS + "?o=-title").text)[:2] == ["Zeta", "Gamma"]
    # Search: every word must match; LIKE wildcards are taken literally.
    assert rows_of(client.get(BOOKS + "?q=eta").text) == ["Beta", "Eta", "Zeta"]
    assert rows_of(client.get(BOOKS + "?q=%25").text) == []
    assert rows_of(client.get(BOOKS + "?q=z+eta").text) == ["Zeta"]
    assert rows_of(client.get(BOOKS + "?q=77").text) == ["Gamma"]  # pages, an integer, as text
    # Filters: foreign key, then combined with a boolean.
    ann = re.search(r'href="/admin/library/book\?author_id=(\d+)">Ann<', first.text)
    assert ann is not None
    by_ann = client.get(BOOKS + f"?author_id={ann.group(1)}")
    assert rows_of(by_ann.text) == ["Alpha", "Beta", "Gamma"] and "3 books" in by_ann.text
    assert rows_of(client.get(BOOKS + f"?author_id={ann.group(1)}&published=1").text) == []
    assert rows_of(client.get(BOOKS + "?genre=novel&q=alpha").text) == ["Alpha"]
    # The list shows the relationship and the callable column.
    assert "<td>Ann</td>" in first.text and "<td>ALPHA</td>" in first.text


def test_date_filter_picks_a_range(superuser: Site) -> None:
    superuser.make_authors(
        {
            "name": "Ann",
            "books": ["Fresh", "Recent", "Old", "Undated"],
            "added_days_ago": {"Fresh": 0, "Recent": 3, "Old": 400},
        }
    )
    client = superuser.client
    assert rows_of(client.get(BOOKS + "?added_at=today").text) == ["Fresh"]
    assert rows_of(client.get(BOOKS + "?added_at=past_7_days").text) == ["Fresh", "Recent"]
    assert rows_of(client.get(BOOKS + "?added_at=__null__").text) == ["Undated"]
    assert "Old" not in rows_of(client.get(BOOKS + "?added_at=this_year").text)
    assert client.get(BOOKS + "?added_at=yesterday").status_code == 400


def test_bad_query_parameters_answer_400_or_404_never_500(superuser: Site) -> None:
    superuser.make_authors({"name": "Ann", "books": ["Alpha"]})
    client = superuser.client
    for query in (
        "?page=0",
        "?page=x",
        "?page=-1",
        "?o=password",
        "?o=shout",
        "?o=-nope",
        "?published=maybe",
        "?genre=NOVEL%27--",
        "?author_id=abc",
        "?unknown=1",
        "?q=" + "x" * 201,
        "?published=1&published=0",
    ):
        assert client.get(BOOKS + query).status_code == 400, query
    assert client.get(BOOKS + "?page=99").status_code == 404
    assert client.get("/admin/library/nothing").status_code == 404
    assert client.get("/admin/nolabel/book").status_code == 404
    for object_id in ("999", "abc", "1,2", "_ZZ", "1" * 30):
        assert client.get(f"{BOOKS}/{object_id}/change").status_code == 404, object_id
    assert client.get("/admin/library/tag/not-a-uuid/change").status_code == 404
    assert client.get("/admin/library/shelf/onlyone/change").status_code == 404
    assert client.get("/admin/static/../site.py").status_code == 404


def test_add_shows_errors_next_to_fields_keeps_input_and_writes_nothing(superuser: Site) -> None:
    [author] = superuser.make_authors({"name": "Ann"})
    response = superuser.post_form(
        BOOKS + "/add",
        {"title": "", "genre": "novel", "author_id": str(author), "pages": "12", "_save": ""},
    )
    assert response.status_code == 422
    assert re.search(r"field-title has-error.*?This field is required", response.text, re.S)
    assert f'<option value="{author}" selected>Ann</option>' in response.text
    bad = superuser.post_form(
        BOOKS + "/add",
        {"title": "<b>Kept</b>", "genre": "sonnet", "author_id": "424242"},
    )
    assert bad.status_code == 422
    assert 'value="&lt;b&gt;Kept&lt;/b&gt;"' in bad.text  # kept, escaped
    assert "Select a valid choice" in bad.text
    assert "0 books" in superuser.client.get(BOOKS).text


def test_add_save_variants_change_with_history_and_readonly_fields(superuser: Site) -> None:
    [author] = superuser.make_authors({"name": "Ann"})
    fields = {"title": "First", "genre": "poetry", "author_id": str(author)}
    added = superuser.post_form(BOOKS + "/add", {**fields, "_addanother": ""})
    assert added.status_code == 303 and added.headers["location"] == BOOKS + "/add"
    again = superuser.post_form(BOOKS + "/add", {**fields, "title": "Second", "_continue": ""})
    assert again.status_code == 303
    change_url = again.headers["location"]
    assert re.fullmatch(r"/admin/library/book/\d+/change", change_url)
    page = superuser.client.get(change_url)
    assert re.search(r"The book (&#34;|&quot;)Second(&#34;|&quot;) was added.", page.text)
    assert 'value="Second"' in page.text
    # pages is read-only: a value sent for it is not written.
    changed = superuser.post_form(
        change_url,
        {**fields, "title": "Second, revised", "published": "on", "pages": "999", "_save": ""},
    )
    assert changed.status_code == 303 and changed.headers["location"] == BOOKS
    listing = superuser.client.get(BOOKS)
    assert "Second, revised" in listing.text and "2 books" in listing.text
    history = superuser.client.get(change_url.replace("/change", "/history"))
    assert history.status_code == 200
    assert "root" in history.text and "add" in history.text and "change" in history.text
    assert "<del>Second</del> → <ins>Second, revised</ins>" in history.text
    assert "<del>False</del> → <ins>True</ins>" in history.text
    assert "999" not in superuser.client.get(change_url).text


def test_delete_lists_what_cascades_then_deletes_it_all(superuser: Site) -> None:
    [author] = superuser.make_authors({"name": "Ann", "books": ["Alpha", "Beta"]})
    url = f"/admin/library/author/{author}/delete"
    confirm = superuser.client.get(url)
    assert "Book: Alpha" in confirm.text and "Book: Beta" in confirm.text
    done = superuser.post_form(url, {})
    assert done.status_code == 303
    assert "0 books" in superuser.client.get(BOOKS).text
    assert superuser.client.get(f"/admin/library/author/{author}/change").status_code == 404
    # The history outlives the object.
    history = superuser.client.get(f"/admin/library/author/{author}/history")
    assert history.status_code == 200 and "delete" in history.text


def test_bulk_delete_asks_first_and_a_custom_action_runs(superuser: Site) -> None:
    superuser.make_authors({"name": "Ann", "books": ["Alpha", "Beta", "Gamma"]})
    listing = superuser.client.get(BOOKS).text
    ids = re.findall(r'name="_selected" value="([^"]+)"', listing)
    assert len(ids) == 3
    published = superuser.post_form(BOOKS, {"action": "publish", "_selected": ids[:2]})
    assert published.status_code == 303
    assert len(rows_of(superuser.client.get(BOOKS + "?published=1").text)) == 2
    confirm = superuser.post_form(BOOKS, {"action": "delete_selected", "_selected": ids[:2]})
    assert confirm.status_code == 200 and "Yes, I'm sure" in confirm.text
    assert "3 books" in superuser.client.get(BOOKS).text  # nothing deleted yet
    done = superuser.post_form(
        BOOKS, {"action": "delete_selected", "_selected": ids[:2], "post": "yes"}
    )
    assert done.status_code == 303
    assert rows_of(superuser.client.get(BOOKS).text) == ["Gamma"]
    assert superuser.post_form(BOOKS, {"action": "nope", "_selected": ids}).status_code == 400


def test_uuid_and_composite_keys_round_trip(superuser: Site) -> None:
    added = superuser.post_form("/admin/library/tag/add", {"label": "rare", "_continue": ""})
    assert added.status_code == 303
    tag_url = added.headers["location"]
    assert re.fullmatch(r"/admin/library/tag/[0-9a-f-]{36}/change", tag_url)
    assert 'value="rare"' in superuser.client.get(tag_url).text
    shelf = superuser.post_form(
        "/admin/library/shelf/add",
        {"room": "north, 1/2_b", "number": "3", "capacity": "40", "_continue": ""},
    )
    assert shelf.status_code == 303
    shelf_url = shelf.headers["location"]
    assert shelf_url == "/admin/library/shelf/north_2C_201_2F2_5Fb,3/change"
    page = superuser.client.get(shelf_url)
    assert page.status_code == 200 and 'value="40"' in page.text
    duplicate = superuser.post_form(
        "/admin/library/shelf/add", {"room": "north, 1/2_b", "number": "3", "capacity": "1"}
    )
    assert duplicate.status_code == 422 and "database refused" in duplicate.text
    assert superuser.post_form(shelf_url.replace("/change", "/delete"), {}).status_code == 303
    assert superuser.client.get(shelf_url).status_code == 404


def test_users_get_a_hashed_password_never_shown(superuser: Site) -> None:
    added = superuser.post_form(
        "/admin/auth/user/add",
        {
            "username": "clerk",
            "is_staff": "on",
            "is_active": "on",
            "new_password": PASSWORD,
            "_continue": "",
        },
    )
    assert added.status_code == 303, added.text
    page = superuser.client.get(added.headers["location"])
    assert "argon2" not in page.text and PASSWORD not in page.text
    assert 'name="password"' not in page.text
    superuser.client.cookies.clear()
    superuser.log_in("clerk")  # the password was hashed and works
    weak = superuser.client  # a staff user without permissions cannot open the users
    assert weak.get("/admin/auth/user").status_code == 403


def test_a_referenced_object_is_protected_from_deletion(superuser: Site) -> None:
    superuser.make_authors({"name": "Ann", "books": ["Alpha", "Beta"], "reviewed": ["Alpha"]})
    ids = re.findall(r'name="_selected" value="([^"]+)"', superuser.client.get(BOOKS).text)
    alpha = ids[0]  # sorted by title
    page = superuser.client.get(f"{BOOKS}/{alpha}/delete")
    assert "protected objects" in page.text and "Review: on Alpha" in page.text
    assert "Yes, I" not in page.text
    refused = superuser.post_form(f"{BOOKS}/{alpha}/delete", {})
    assert refused.status_code == 409
    bulk = superuser.post_form(BOOKS, {"action": "delete_selected", "_selected": ids})
    assert "protected related objects" in bulk.text and "Yes, I" not in bulk.text
    assert rows_of(superuser.client.get(BOOKS).text) == ["Alpha", "Beta"]


def test_a_weak_new_password_is_a_form_error_and_nothing_is_saved(superuser: Site) -> None:
    response = superuser.post_form(
        "/admin/auth/user/add",
        {"username": "weakling", "is_active": "on", "new_password": "password1"},
    )
    assert response.status_code == 422 and "too common" in response.text
    assert (
        "weakling"
        not in superuser.client.get("/admin/auth/user?q=weakling").text.split("<tbody>")[1]
    )


def test_json_and_uuid_columns_are_edited_as_text(superuser: Site) -> None:
    url = "/admin/library/gadget/add"
    bad = superuser.post_form(url, {"spec": "{not json", "serial": "xyz"})
    assert bad.status_code == 422
    assert "Enter valid JSON" in bad.text and "Enter a valid UUID." in bad.text
    serial = "12345678-1234-5678-1234-567812345678"
    good = superuser.post_form(url, {"spec": '{"volts": 12}', "serial": serial, "_continue": ""})
    assert good.status_code == 303
    page = superuser.client.get(good.headers["location"]).text
    assert "&#34;volts&#34;: 12" in page or "&quot;volts&quot;: 12" in page
    assert f'value="{serial}"' in page


def test_the_stylesheet_is_a_static_file_with_an_etag_and_304(superuser: Site) -> None:
    client = superuser.client
    first = client.get("/admin/static/admin.css")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/css")
    etag = first.headers["etag"]
    again = client.get("/admin/static/admin.css", headers={"if-none-match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    stale = client.get("/admin/static/admin.css", headers={"if-none-match": '"old"'})
    assert (stale.status_code, stale.content) == (200, first.content)
