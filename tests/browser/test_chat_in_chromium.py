"""The demo's chat room in headless Chromium: two pages see each other's messages over
WebSockets, and a page on the server-sent events fallback talks with them too."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.test_demo_in_chromium import CHROMIUM
from tests.browser.test_demo_in_chromium import browser as browser  # noqa: F401 - fixtures
from tests.browser.test_demo_in_chromium import demo_url as demo_url  # noqa: F401

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found (see test_demo_in_chromium)"
)


def open_room(browser, url: str, transport: str):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()  # a context each: two separate visitors
    page.goto(url)
    page.wait_for_selector(f"#chat[data-transport={transport}]", timeout=10_000)
    return page


def say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#text", text)
    page.click("#send button[type=submit]")


def test_two_pages_see_each_others_messages(browser, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    room = f"{demo_url}/chat/room-{uuid.uuid4().hex[:8]}"
    alice = open_room(browser, room, "websocket")
    bob = open_room(browser, room, "websocket")
    say(alice, "hello from alice")
    bob.wait_for_selector("#messages li:has-text('guest: hello from alice')", timeout=10_000)
    say(bob, "<img src=x onerror=alert(1)>")
    alice.wait_for_selector("#messages li:has-text('onerror')", timeout=10_000)
    assert alice.locator("#messages img").count() == 0  # shown as text, never as markup
    assert alice.locator("#messages li").count() == 2
    alice.close()
    bob.close()


def test_the_server_sent_events_fallback_joins_the_same_room(browser, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    room = f"{demo_url}/chat/room-{uuid.uuid4().hex[:8]}"
    socket_page = open_room(browser, room, "websocket")
    events_page = open_room(browser, room + "?sse", "sse")
    say(events_page, "posted over the fallback")
    socket_page.wait_for_selector(
        "#messages li:has-text('posted over the fallback')", timeout=10_000
    )
    say(socket_page, "sent over the socket")
    events_page.wait_for_selector("#messages li:has-text('sent over the socket')", timeout=10_000)
    socket_page.close()
    events_page.close()
