"""Sign-up, logout, login and a form in the demo app, in real headless Chromium (Playwright).

Needs Debian's ``chromium`` and the ``playwright`` package (see
test_demo_in_chromium.py); the demo runs with its security stack on, so every
form here carries its CSRF token the way a browser sends it.
"""

from __future__ import annotations

import uuid

# The demo server and the browser are the demo browser test's fixtures.
from tests.browser.test_demo_in_chromium import browser as browser
from tests.browser.test_demo_in_chromium import demo_url as demo_url
from tests.browser.test_demo_in_chromium import pytestmark as pytestmark

PASSWORD = "violet kettle ninety"


def test_sign_up_log_out_log_in_and_post_a_note(browser, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    username = f"reader-{uuid.uuid4().hex[:8]}"
    page = browser.new_page()

    # The members' page sends a visitor to the login page, remembering where to return.
    page.goto(demo_url + "/account")
    page.wait_for_url("**/accounts/login?next=%2Faccount")
    page.click("text=Create an account")
    page.fill("input[name=username]", username)
    page.fill("input[name=new_password1]", "password1")
    page.fill("input[name=new_password2]", "password1")
    page.click("button[type=submit]")
    assert "too common" in page.locator("ul.errors").inner_text()

    page.fill("input[name=username]", username)
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/account")
    assert page.locator("h1").inner_text() == f"Hello, {username}!"

    page.click("text=Log out")
    page.wait_for_url(demo_url + "/")
    page.goto(demo_url + "/account")
    page.wait_for_url("**/accounts/login?next=%2Faccount")

    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "correct username and password" in page.locator("ul.errors").inner_text()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/account")  # back where the login started (next)

    # Logged in, the browser submits another form of the demo.
    marker = uuid.uuid4().hex
    page.goto(demo_url + "/notes")
    page.fill("textarea[name=text]", f"note by {username} {marker}")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_selector(f"text={marker}")
    page.close()


def test_a_cookie_from_before_the_login_is_not_logged_in(browser, demo_url: str) -> None:  # type: ignore[no-untyped-def]
    username = f"fixation-{uuid.uuid4().hex[:8]}"
    context = browser.new_context()
    page = context.new_page()
    page.goto(demo_url + "/accounts/signup")
    planted = {cookie["name"]: cookie["value"] for cookie in context.cookies()}["session"]
    page.fill("input[name=username]", username)
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/account")
    current = {cookie["name"]: cookie["value"] for cookie in context.cookies()}["session"]
    assert current != planted
    # A second browser holding the planted cookie is not logged in.
    other = browser.new_context()
    other.add_cookies([{"name": "session", "value": planted, "url": demo_url}])
    other_page = other.new_page()
    other_page.goto(demo_url + "/account")
    other_page.wait_for_url("**/accounts/login?next=%2Faccount")
    other.close()
    context.close()
