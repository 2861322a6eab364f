"""The admin in real headless Chromium: log in, add, edit, search, filter, bulk delete, history.

Needs Debian's ``chromium`` and the ``playwright`` package (see
test_demo_in_chromium.py). The app runs with its security stack on, so every
form carries its CSRF token the way a browser sends it, and the page's CSS
and script load under the strict CSP.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastcore.testing import LiveServer
from tests.admin.support import PASSWORD, build_app
from tests.browser.test_demo_in_chromium import browser as browser
from tests.browser.test_demo_in_chromium import pytestmark as pytestmark
from tests.orm.orm_support import Target


def _post_json(url: str, data: object) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture(scope="module")
def admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("admin-browser")
    app, _ = build_app(Target("sqlite", f"sqlite+aiosqlite:///{folder / 'db.sqlite3'}", {}))
    with LiveServer(app) as server:
        _post_json(server.url + "/test/users", {"username": "boss", "is_superuser": True})
        _post_json(server.url + "/test/authors", [{"name": "Ursula", "books": ["Earthsea"]}])
        yield server.url


def watch_problems(page: Any) -> list[str]:
    """The list that collects the page's script errors and CSP refusals."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: problems.append(message.text) if "Refused" in message.text else None,
    )
    return problems


def test_staff_logs_in_adds_edits_searches_and_deletes(browser, admin_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    problems = watch_problems(page)
    static: list[int] = []
    page.on(
        "response",
        lambda response: (
            static.append(response.status) if "/admin/static/" in response.url else None
        ),
    )
    page.goto(admin_url + "/admin")
    page.wait_for_url("**/accounts/login?next=%2Fadmin")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin")
    # The stylesheet loaded under the CSP (the header bar is coloured by it).
    assert page.eval_on_selector("header.top", "e => getComputedStyle(e).display") == "flex"

    page.click("text=Books")
    page.click("text=Add book")
    page.click("button[name=_save]")  # empty: errors next to the fields, nothing saved
    assert "This field is required" in page.locator(".field-title .errors").inner_text()
    page.fill("input[name=title]", "The Dispossessed")
    page.select_option("select[name=genre]", "novel")
    page.select_option("select[name=author_id]", label="Ursula")
    page.click("button[name=_continue]")
    page.wait_for_url("**/admin/library/book/*/change")
    assert "was added" in page.locator(".message").inner_text()

    page.fill("input[name=title]", "The Dispossessed (1974)")
    page.check("input[name=published]")
    page.click("button[name=_save]")
    page.wait_for_url("**/admin/library/book")
    assert "The Dispossessed (1974)" in page.locator("table.result-list").inner_text()

    page.fill("input[name=q]", "1974")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/admin/library/book?q=1974")
    assert page.locator("table.result-list tbody tr").count() == 1
    page.click("text=Yes")  # the published filter, on top of the search
    page.wait_for_url("**published=1**")
    assert page.locator("table.result-list tbody tr").count() == 1

    # History shows the diff.
    page.click("table.result-list tbody a")
    page.click("text=History")
    assert "The Dispossessed (1974)" in page.locator("table.history").inner_text()

    # Bulk delete with select-all (the script), after the confirmation page.
    page.goto(admin_url + "/admin/library/book")
    page.check("#select-all")
    assert page.locator("input[name=_selected]:checked").count() == 2
    page.select_option("select[name=action]", "delete_selected")
    page.click("text=Go")
    page.click("text=Yes, I'm sure")
    page.wait_for_url("**/admin/library/book")
    assert "0 books" in page.locator(".count").inner_text()
    assert problems == []  # no CSP violation or script error
    assert static and set(static) <= {200, 304}
    page.close()


def test_a_cross_site_form_cannot_delete(browser, admin_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(admin_url + "/accounts/login?next=/admin")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin")
    # Another site's page posts to the admin with the user's cookies but no token.
    attacker = admin_url.replace("127.0.0.1", "localhost") + "/nowhere"
    page.route(
        attacker,
        lambda route: route.fulfill(
            content_type="text/html",
            body=f'<form method="post" action="{admin_url}/admin/library/author/1/delete">'
            "<button>win</button></form>",
        ),
    )
    page.goto(attacker)
    with page.expect_response(lambda response: "/delete" in response.url) as refused:
        page.click("text=win")
    assert refused.value.status == 403
    page.goto(admin_url + "/admin/library/author")
    assert "Ursula" in page.locator("table.result-list").inner_text()
    context.close()
