"""The demo app in a real browser: headless Chromium driven by Playwright.

Needs Debian's ``chromium`` (``apt-get install chromium``; CI installs it) and
the ``playwright`` package; Playwright's own browser download is never used.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from fastcore.testing import LiveServer

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
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
    from examples.demo.app import app

    with LiveServer(app) as server:
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
