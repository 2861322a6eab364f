"""login_required / permission_required / staff_required, and the open-redirect guard on next."""

from __future__ import annotations

import pytest

from fastcore.auth import safe_next
from tests.auth.conftest import Site

HTML = {"accept": "text/html"}


def test_anonymous_browser_is_sent_to_login_with_next(site: Site) -> None:
    response = site.client.get("/private?tab=2", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/accounts/login?next=%2Fprivate%3Ftab%3D2"


def test_anonymous_api_client_gets_401(site: Site) -> None:
    response = site.client.get("/private", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_login_follows_next_back_to_the_page(site: Site) -> None:
    site.make_user("mia")
    login_page = "/accounts/login?next=%2Fprivate%3Ftab%3D2"
    response = site.form(
        login_page,
        {"username": "mia", "password": "correct horse battery staple"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/private?tab=2"
    assert "private page of mia" in site.client.get("/private").text


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example",
    ],
)
def test_open_redirect_through_next_is_refused(site: Site, next_url: str) -> None:
    site.make_user("noah")
    response = site.form(
        "/accounts/login",
        {"username": "noah", "password": "correct horse battery staple", "next": next_url},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_safe_next_keeps_same_site_paths() -> None:
    assert safe_next("/notes?page=2#top", "/") == "/notes?page=2#top"
    assert safe_next(None, "/home") == "/home"
    assert safe_next("/" + "a" * 3000, "/") == "/"


def test_permission_denied_then_granted(site: Site) -> None:
    site.make_user("olga")
    site.make_user("pete", permissions=["notes.change_memo"])
    site.log_in("olga")
    denied = site.client.get("/memos/edit", headers=HTML)
    assert denied.status_code == 403
    assert "notes.change_memo" in denied.text
    site.client.cookies.clear()
    site.log_in("pete")
    granted = site.client.get("/memos/edit", headers=HTML)
    assert granted.status_code == 200 and "memo editor" in granted.text


def test_superuser_has_every_permission(site: Site) -> None:
    site.make_user("root", is_superuser=True)
    site.log_in("root")
    assert site.client.get("/memos/edit").status_code == 200


def test_permission_page_sends_anonymous_visitors_to_login(site: Site) -> None:
    response = site.client.get("/memos/edit", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/accounts/login?next=")


def test_staff_required(site: Site) -> None:
    site.make_user("quinn")
    site.make_user("rita", is_staff=True)
    assert site.client.get("/staff", headers=HTML, follow_redirects=False).status_code == 303
    site.log_in("quinn")
    assert site.client.get("/staff").status_code == 403
    site.client.cookies.clear()
    site.log_in("rita")
    response = site.client.get("/staff")
    assert response.status_code == 200 and "staff only" in response.text


def test_a_deactivated_user_is_logged_out(site: Site) -> None:
    site.make_user("sam")
    site.log_in("sam")
    assert site.client.get("/whoami").json()["authenticated"] is True
    site.client.post("/test/deactivate", json={"username": "sam"})
    assert site.client.get("/whoami").json()["authenticated"] is False


def test_providers_work_with_depends(site: Site) -> None:
    assert site.client.get("/depends/me").status_code == 401
    redirect = site.client.get("/depends/me", headers=HTML, follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/accounts/login?next=%2Fdepends%2Fme"
    site.make_user("uri")
    site.make_user("val", permissions=["notes.change_memo"])
    site.log_in("uri")
    assert site.client.get("/depends/me").json() == {"username": "uri"}
    assert site.client.get("/depends/memos").status_code == 403
    site.client.cookies.clear()
    site.log_in("val")
    assert site.client.get("/depends/memos").json() == {"editor": "val"}


def test_permission_through_a_group(site: Site) -> None:
    site.make_user("wes", groups={"editors": ["notes.change_memo"]})
    site.make_user("xavi", groups={"readers": ["notes.view_memo"]})
    site.log_in("wes")
    assert site.client.get("/memos/edit").status_code == 200
    site.client.cookies.clear()
    site.log_in("xavi")
    assert site.client.get("/memos/edit").status_code == 403
