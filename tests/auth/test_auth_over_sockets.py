"""The account flows over real sockets: the live server and a real HTTP client (urllib)."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastcore.testing import LiveServer
from tests.auth.support import PASSWORD, build_app, csrf_token_in
from tests.orm.orm_support import Target


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            with error:  # redirects and 4xx arrive as errors; close their sockets
                return error.code, dict(error.headers), error.read().decode()

    def post_form(self, path: str, fields: dict[str, str], page: str | None = None):  # type: ignore[no-untyped-def]
        token = csrf_token_in(self.request(page or path)[2])
        return self.request(path, {"csrf_token": token, **fields})

    def session_cookie(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "session")

    def whoami(self, cookie: str | None = None) -> dict[str, object]:
        headers = {"cookie": f"session={cookie}"} if cookie is not None else {}
        opener = urllib.request.build_opener() if cookie is not None else self.opener
        request = urllib.request.Request(self.base + "/whoami", headers=headers)
        with opener.open(request, timeout=10) as response:
            return dict(json.loads(response.read()))


@pytest.fixture
def live(target: Target, tmp_path: Path) -> Iterator[str]:
    app, _ = build_app(target, tmp_path / "outbox")
    with LiveServer(app) as server:
        yield server.url


def test_signup_login_rotation_and_logout_over_sockets(live: str) -> None:
    browser = Browser(live)
    status, headers, _ = browser.post_form(
        "/accounts/signup",
        {"username": "sockets", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert status == 303 and headers["location"] == "/"
    assert browser.whoami() == {"username": "sockets", "authenticated": True}
    browser.post_form("/accounts/logout", {}, page="/accounts/login")
    assert browser.whoami()["authenticated"] is False

    browser.request("/accounts/login")
    before = browser.session_cookie()
    status, headers, _ = browser.post_form(
        "/accounts/login", {"username": "sockets", "password": PASSWORD}
    )
    assert status == 303
    after = browser.session_cookie()
    assert after != before
    assert browser.whoami(before)["authenticated"] is False
    assert browser.whoami(after)["authenticated"] is True


def test_wrong_passwords_then_429_over_sockets(live: str) -> None:
    browser = Browser(live)
    statuses = [
        browser.post_form("/accounts/login", {"username": "target", "password": f"guess{n}"})[0]
        for n in range(6)
    ]
    assert statuses == [400] * 5 + [429]


def test_bearer_token_over_sockets(live: str) -> None:
    browser = Browser(live)
    browser.post_form(
        "/accounts/signup",
        {"username": "api-user", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    token_page = browser.request("/accounts/password/change")[2]
    request = urllib.request.Request(
        live + "/api/tokens",
        data=json.dumps({"scopes": ["memos:read"]}).encode(),
        headers={"content-type": "application/json", "x-csrf-token": csrf_token_in(token_page)},
    )
    with browser.opener.open(request, timeout=10) as response:
        raw = json.loads(response.read())["token"]
    api = urllib.request.Request(live + "/api/memos", headers={"authorization": f"Bearer {raw}"})
    with urllib.request.urlopen(api, timeout=10) as response:
        assert json.loads(response.read())["user"] == "api-user"
    write = urllib.request.Request(
        live + "/api/memos", data=b"{}", headers={"authorization": f"Bearer {raw}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(write, timeout=10)
    with refused.value:
        assert refused.value.code == 403


def test_a_handler_that_suspends_over_sockets(live: str) -> None:
    # Eager dispatch starts the handler inline and moves it to a Task when it
    # suspends; the middleware's per-request state must survive that move.
    browser = Browser(live)
    for _ in range(3):
        status, _, body = browser.request("/suspends")
        assert status == 200 and json.loads(body) == {"authenticated": False}
