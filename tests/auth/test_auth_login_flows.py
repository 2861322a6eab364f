"""Sign-up, login, wrong password, session rotation, logout and throttling via the TestClient."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fastcore.testing import AsyncTestClient
from tests.auth.conftest import Site
from tests.auth.support import PASSWORD, build_app, csrf_token_in
from tests.orm.orm_support import Target

HTML = {"accept": "text/html"}


def test_signup_logs_the_new_user_in(site: Site) -> None:
    response = site.form(
        "/accounts/signup",
        {
            "username": "alice",
            "email": "alice@example.com",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert site.client.get("/whoami").json() == {"username": "alice", "authenticated": True}


def test_signup_refuses_weak_passwords_with_every_reason(site: Site) -> None:
    response = site.form(
        "/accounts/signup",
        {"username": "bob", "new_password1": "1234567", "new_password2": "1234567"},
    )
    assert response.status_code == 400
    assert "too short" in response.text
    assert "too common" in response.text
    assert "entirely numeric" in response.text
    assert site.client.get("/whoami").json()["authenticated"] is False


def test_signup_refuses_a_taken_username_and_mismatched_passwords(site: Site) -> None:
    site.make_user("carol")
    taken = site.form(
        "/accounts/signup",
        {"username": "Carol", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert taken.status_code == 400 and "username is taken" in taken.text
    mismatch = site.form(
        "/accounts/signup",
        {"username": "dave", "new_password1": PASSWORD, "new_password2": PASSWORD + "!"},
    )
    assert mismatch.status_code == 400 and "do not match" in mismatch.text


def test_login_with_the_right_password(site: Site) -> None:
    site.make_user("erin")
    response = site.log_in("erin")
    assert response.status_code == 303
    assert site.client.get("/whoami").json() == {"username": "erin", "authenticated": True}


def test_wrong_password_and_unknown_user_get_the_same_answer(site: Site) -> None:
    site.make_user("frank")
    wrong = site.log_in("frank", "not the password")
    unknown = site.log_in("nobody-here", "not the password")
    inactive_id = site.make_user("gina", is_active=False)
    inactive = site.log_in("gina")
    assert inactive_id > 0
    assert wrong.status_code == unknown.status_code == inactive.status_code == 400
    message = "Please enter a correct username and password"
    assert message in wrong.text and message in unknown.text and message in inactive.text
    assert site.client.get("/whoami").json()["authenticated"] is False


def test_login_by_email_address(site: Site) -> None:
    site.make_user("hank", email="Hank@Example.com")
    assert site.log_in("hank@example.com").status_code == 303
    assert site.client.get("/whoami").json()["username"] == "hank"


def test_login_rotates_the_session_and_the_old_cookie_is_not_logged_in(site: Site) -> None:
    site.make_user("ivan")
    site.client.get("/accounts/login")  # a pre-login session (with its CSRF token)
    before = dict(site.client.cookies)
    assert "session" in before
    site.log_in("ivan")
    after = dict(site.client.cookies)
    assert after["session"] != before["session"]
    # The cookie an attacker might have planted before the login is not logged in.
    planted = site.client.get("/whoami", cookies={"session": before["session"]})
    assert planted.json()["authenticated"] is False
    assert site.client.get("/whoami", cookies=after).json()["authenticated"] is True


def test_the_csrf_token_changes_at_login(site: Site) -> None:
    site.make_user("judy")
    site.client.get("/accounts/login")
    old_cookie = dict(site.client.cookies)
    site.log_in("judy")
    # A form posted with the pre-login session's token is refused.
    from tests.auth.support import csrf_token_in

    old_token = csrf_token_in(site.client.get("/accounts/login", cookies=old_cookie).text)
    response = site.client.post(
        "/accounts/password/change",
        data={"csrf_token": old_token, "old_password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_logout_ends_the_session(site: Site) -> None:
    site.make_user("kate")
    site.log_in("kate")
    logged_in_cookie = dict(site.client.cookies)
    response = site.form("/accounts/logout", {}, page="/accounts/login", follow_redirects=False)
    assert response.status_code == 303
    assert site.client.get("/whoami").json()["authenticated"] is False
    # GET does not log out (only POST, with the CSRF token).
    assert site.client.get("/accounts/logout").status_code == 405
    assert logged_in_cookie


def test_brute_force_is_throttled_per_account(site: Site) -> None:
    site.make_user("liam")
    statuses = [site.log_in("liam", f"guess {number}").status_code for number in range(5)]
    assert statuses == [400] * 5
    blocked = site.log_in("liam")  # even the right password, once the limit is hit
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    assert "Too many login attempts" in blocked.text
    assert site.client.get("/whoami").json()["authenticated"] is False


def test_brute_force_is_throttled_per_address(site: Site) -> None:
    statuses = [site.log_in(f"user{number}", "guess").status_code for number in range(21)]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429


def test_malformed_login_posts_get_4xx(site: Site) -> None:
    token_page = site.client.get("/accounts/login")
    assert token_page.status_code == 200
    from tests.auth.support import csrf_token_in

    token = csrf_token_in(token_page.text)
    not_utf8 = site.client.post(
        "/accounts/login",
        content=b"username=%ff%fe&password=x&csrf_token=" + token.encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "x-csrf-token": token},
    )
    assert not_utf8.status_code == 400
    as_json = site.client.post(
        "/accounts/login", json={"username": "a"}, headers={"x-csrf-token": token}
    )
    assert as_json.status_code == 415


def test_concurrent_signups_never_fail_with_500(target: Target, tmp_path: Path) -> None:
    app, _ = build_app(target, tmp_path / "outbox")

    async def sign_up(client: AsyncTestClient) -> int:
        token = csrf_token_in((await client.get("/accounts/signup")).text)
        fields = {"username": "twin", "new_password1": PASSWORD, "new_password2": PASSWORD}
        response = await client.post(
            "/accounts/signup", data={"csrf_token": token, **fields}, follow_redirects=False
        )
        return response.status_code

    async def scenario() -> list[int]:
        first, second = AsyncTestClient(app), AsyncTestClient(app)
        async with first:
            return sorted(await asyncio.gather(sign_up(first), sign_up(second)))

    assert asyncio.run(scenario()) == [303, 400]


HOSTILE = [
    "x" * 5000,
    "\x00admin",
    "admin\r\nset-cookie: x=1",
    "' OR 1=1 --",
    "é" * 300,
    "a" * 64 + "@" + "b" * 190 + "." + "c" * 60,  # matches the email pattern, too long
    "",
]


@pytest.mark.parametrize(
    "value", HOSTILE, ids=["long", "nul", "crlf", "sql", "unicode", "long-email", "empty"]
)
def test_hostile_form_values_never_cause_a_500(site: Site, value: str) -> None:
    site.make_user("target", email="target@example.com")
    forms = {
        "/accounts/login": ["username", "password", "next"],
        "/accounts/signup": ["username", "email", "new_password1", "new_password2"],
        "/accounts/password/reset": ["email"],
        "/accounts/password/reset/confirm": ["token", "new_password1", "new_password2"],
    }
    for url, names in forms.items():
        response = site.form(url, dict.fromkeys(names, value), page="/accounts/login")
        assert response.status_code in (200, 400, 429), (url, response.status_code)
    assert site.client.get("/whoami").json()["authenticated"] is False
