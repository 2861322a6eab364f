"""The demo app in a real browser: headless Chromium driven by Playwright.

The demo runs with its security stack on (production mode, test key), so
these tests also show what a browser sees of it: the form tokens, the CSP
(the page's /static stylesheet applies) and a cross-site form refused.

Needs Chromium (Debian/Ubuntu: ``apt-get install chromium``; CI installs it;
elsewhere set ``CHROMIUM_BIN`` to a Chromium executable) and the
``playwright`` package; Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from fastcore import App, HTMLResponse
from fastcore.testing import LiveServer
from tests.demo_support import demo_app

CHROMIUM_BIN = os.environ.get("CHROMIUM_BIN", "")
CHROMIUM = shutil.which(CHROMIUM_BIN or "chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason=f"CHROMIUM_BIN={CHROMIUM_BIN!r} is not an executable"
    if CHROMIUM_BIN
    else "Chromium not found: install it (Debian/Ubuntu: `apt-get install chromium`) "
    "or set CHROMIUM_BIN to a Chromium executable",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency")

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with LiveServer(demo_app()) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def test_greeting_form_round_trip_escapes_input(browser, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.goto(demo_url + "/")
    assert page.locator("h1").inner_text() == "Hello, world!"
    page.fill("input[name=name]", "<img src=x onerror=alert(1)>")
    page.click("button[type=submit]")
    page.wait_for_url("**/?name=*")
    assert page.locator("h1").inner_text() == "Hello, <img src=x onerror=alert(1)>!"
    assert page.locator("main img").count() == 0  # rendered as text, not as markup
    assert alerts == []
    page.close()


def test_navigation_links_reach_the_json_endpoints(browser, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(demo_url + "/")
    page.click("text=12²")
    page.wait_for_url("**/api/squares/12")
    assert '"square":144' in page.content()
    page.close()


def test_notes_form_stores_a_payload_as_text(browser, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.goto(demo_url + "/notes")
    # The stylesheet comes from /static (same origin), so the CSP lets it apply.
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "640px"
    marker = uuid.uuid4().hex
    payload = f"{marker}<img src=x onerror=alert(1)><script>alert(2)</script>"
    page.fill("textarea[name=text]", payload)
    page.click("form[method=post] button[type=submit]")
    page.wait_for_selector(f"ul.notes li:has-text('{marker}')")
    assert payload in page.locator("ul.notes li").first.inner_text()
    assert page.locator("ul.notes img, main script").count() == 0
    assert alerts == []
    page.close()


def attacker_app(target: str, marker: str) -> App:
    """Another origin whose page makes the visitor's browser POST to the demo."""
    app = App(security=False)

    @app.get("/")
    async def trap() -> HTMLResponse:
        return HTMLResponse(
            f'<form method="post" action="{target}/notes"><input name="text" value="{marker}">'
            "</form><script>document.forms[0].submit()</script>"
        )

    return app


def test_a_cross_site_form_post_is_refused(browser, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(demo_url + "/notes")  # the victim has a session with the demo
    marker = uuid.uuid4().hex
    with LiveServer(attacker_app(demo_url, marker)) as attacker:
        with page.expect_navigation(url="**/notes"):
            page.goto(attacker.url + "/")
        assert "CSRF check failed" in page.content()
    page.goto(demo_url + "/notes")
    assert marker not in page.content()
    page.close()
