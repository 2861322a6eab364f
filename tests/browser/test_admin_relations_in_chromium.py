"""Inlines, many-to-many and the foreign key lookup in headless Chromium, on SQLite and on
the real PostgreSQL: a superuser edits an author's books on the author's page, picks a
book's topics through the filter box, and moves the book to another author by typing
part of the name (the lookup's script, under the strict CSP)."""

from __future__ import annotations

import concurrent.futures
import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

from fastcore.testing import LiveServer
from tests.admin.support import PASSWORD, BookAdmin, build_app
from tests.browser.test_admin_in_chromium import watch_problems
from tests.browser.test_demo_in_chromium import browser as browser
from tests.browser.test_demo_in_chromium import pytestmark as pytestmark
from tests.orm.orm_support import (
    PG_URL,
    Target,
    create_schema,
    drop_schema,
    postgres_unavailable,
)


def _off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run ``function`` in a thread: Playwright's event loop runs in this one, and the
    PostgreSQL helpers call asyncio.run()."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A private database per test: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield Target("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}", {})
        return
    reason = _off_loop(postgres_unavailable)
    if reason is not None:
        pytest.skip(reason)
    schema = _off_loop(create_schema)
    try:
        yield Target("postgresql", PG_URL, {"server_settings": {"search_path": schema}})
    finally:
        _off_loop(drop_schema, schema)


T = TypeVar("T")


class LookupBookAdmin(BookAdmin):
    autocomplete_fields: ClassVar[list[str]] = ["author"]


def _post_json(url: str, data: object) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def _log_in(page: Any, url: str) -> None:
    page.goto(url + "/accounts/login?next=/admin")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin")


@pytest.fixture
def server(target: Target) -> Iterator[tuple[str, dict[str, Any]]]:
    app, _ = build_app(target, book_admin=LookupBookAdmin)
    with LiveServer(app) as live:
        _post_json(live.url + "/test/users", {"username": "boss", "is_superuser": True})
        ids = {
            "ursula": _post_json(
                live.url + "/test/authors", [{"name": "Ursula", "books": ["Earthsea"]}]
            )["ids"][0],
            "octavia": _post_json(live.url + "/test/authors", [{"name": "Octavia", "books": []}])[
                "ids"
            ][0],
            "topics": _post_json(live.url + "/test/topics", ["fantasy", "magic", "sea", "space"])[
                "ids"
            ],
        }
        yield live.url, ids


def test_inlines_many_to_many_and_lookup_in_a_browser(browser, server) -> None:  # type: ignore[no-untyped-def]
    url, ids = server
    page = browser.new_page()
    problems = watch_problems(page)
    _log_in(page, url)

    # Inlines: rename the book, add one in a blank row, then delete the first one.
    page.goto(f"{url}/admin/library/author/{ids['ursula']}/change")
    page.fill("input[name=book-0-title]", "A Wizard of Earthsea")
    page.fill("input[name=book-1-title]", "Tehanu")
    page.check("input[name=book-1-published]")
    page.click("button[name=_continue]")
    page.wait_for_url("**/change")
    assert "was changed" in page.locator(".message").inner_text()
    assert page.input_value("input[name=book-0-title]") == "A Wizard of Earthsea"
    assert page.input_value("input[name=book-1-title]") == "Tehanu"
    assert page.is_checked("input[name=book-1-published]")
    # An invalid row keeps the page, with the error in that row and nothing saved.
    page.fill("input[name=book-0-title]", "Not saved")
    page.check("input[name=book-2-published]")  # a blank row touched, with no title
    page.click("button[name=_continue]")
    assert "This field is required" in page.locator("tr.has-error").inner_text()
    assert page.input_value("input[name=book-0-title]") == "Not saved"  # the input is kept
    page.goto(f"{url}/admin/library/author/{ids['ursula']}/change")
    page.check("input[name=book-0-DELETE]")
    page.click("button[name=_continue]")
    page.wait_for_url("**/change")
    assert page.input_value("input[name=book-0-title]") == "Tehanu"

    # Many-to-many: the filter box hides what does not match; pick two topics.
    page.goto(url + "/admin/library/book?q=Tehanu")
    page.click("table.result-list tbody a")
    page.wait_for_url("**/change")
    book_url = page.url
    page.fill("input.select-filter", "sp")
    visible = page.eval_on_selector_all(
        "select[name=topics] option", "options => options.filter(o => !o.hidden).map(o => o.text)"
    )
    assert visible == ["space"]
    page.select_option("select[name=topics]", [str(ids["topics"][0]), str(ids["topics"][3])])

    # The lookup: type part of a name, pick it from the list; the key box gets its id.
    assert page.input_value("input[name=author_id]") == str(ids["ursula"])
    page.fill("input.lookup-search", "octa")
    option = page.locator(".lookup-results li", has_text="Octavia")
    option.wait_for()
    option.click()
    assert page.input_value("input[name=author_id]") == str(ids["octavia"])
    assert page.locator("output.related-label").inner_text() == "Octavia"
    page.click("button[name=_continue]")
    page.wait_for_url(book_url)
    assert page.locator("output.related-label").inner_text() == "Octavia"
    chosen = page.eval_on_selector_all(
        "select[name=topics] option:checked", "options => options.map(o => o.text)"
    )
    assert chosen == ["fantasy", "space"]
    # Keyboard: arrow down and Enter pick the first match.
    page.fill("input.lookup-search", "urs")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lookup-results li')].map(li => li.textContent)"
        ".join() === 'Ursula'"
    )
    page.press("input.lookup-search", "ArrowDown")
    page.press("input.lookup-search", "Enter")
    assert page.input_value("input[name=author_id]") == str(ids["ursula"])
    assert problems == []
    page.close()


def test_the_lookup_works_with_scripts_off(browser, server) -> None:  # type: ignore[no-untyped-def]
    url, ids = server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, url)
    page.goto(url + "/admin/library/book?q=Earthsea")
    page.click("table.result-list tbody a")
    assert page.locator("input.lookup-search").count() == 0  # no script, no search box
    page.fill("input[name=author_id]", str(ids["octavia"]))
    page.click("button[name=_continue]")
    assert page.locator("output.related-label").inner_text() == "Octavia"
    context.close()


class TopicLookupBookAdmin(BookAdmin):
    autocomplete_fields: ClassVar[list[str]] = ["topics"]


def test_many_to_many_lookup_in_a_browser(browser, target: Target) -> None:  # type: ignore[no-untyped-def]
    app, _ = build_app(target, book_admin=TopicLookupBookAdmin)
    with LiveServer(app) as live:
        url = live.url
        _post_json(url + "/test/users", {"username": "boss", "is_superuser": True})
        _post_json(url + "/test/authors", [{"name": "Ursula", "books": ["Earthsea"]}])
        fantasy, _, sea, _ = _post_json(url + "/test/topics", ["fantasy", "magic", "sea", "space"])[
            "ids"
        ]
        page = browser.new_page()
        problems = watch_problems(page)
        _log_in(page, url)
        page.goto(url + "/admin/library/book?q=Earthsea")
        page.click("table.result-list tbody a")
        page.wait_for_url("**/change")
        book_url = page.url
        # Two picks by typing part of the name: each adds its key to the box, once.
        search = page.locator(".field-topics input.lookup-search")
        search.fill("fant")
        option = page.locator(".field-topics .lookup-results li", has_text="fantasy")
        option.wait_for()
        option.click()
        search.fill("se")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.field-topics .lookup-results li')]"
            ".map(li => li.textContent).join() === 'sea'"
        )
        search.press("ArrowDown")
        search.press("Enter")
        search.fill("fant")
        option.wait_for()
        option.click()  # already picked: not added again
        assert page.input_value("input[name=topics]") == f"{fantasy}, {sea}"
        assert page.locator(".field-topics output.related-label").inner_text() == "fantasy, sea"
        page.click("button[name=_continue]")
        page.wait_for_url(book_url)
        assert "was changed" in page.locator(".message").inner_text()
        assert page.locator(".field-topics output.related-label").inner_text() == "fantasy, sea"
        assert page.input_value("input[name=topics]") == f"{fantasy}, {sea}"
        assert problems == []
        page.close()
