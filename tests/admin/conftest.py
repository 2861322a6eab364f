"""tests/admin run on SQLite and on PostgreSQL (skipped when the server is absent)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from fastcore.testing import TestClient
from tests.admin.support import PASSWORD, build_app, csrf_token_in
from tests.orm.conftest import target as target  # noqa: F401 - the per-backend fixture
from tests.orm.orm_support import Target


class Site:
    """A running admin test app and its client."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def make_user(self, username: str, **fields: object) -> int:
        response = self.client.post("/test/users", json={"username": username, **fields})
        assert response.status_code == 200, response.text
        return int(response.json()["id"])

    def make_authors(self, *entries: dict[str, Any]) -> list[int]:
        response = self.client.post("/test/authors", json=list(entries))
        assert response.status_code == 200, response.text
        return list(response.json()["ids"])

    def log_in(self, username: str) -> None:
        token = csrf_token_in(self.client.get("/accounts/login").text)
        response = self.client.post(
            "/accounts/login",
            data={"csrf_token": token, "username": username, "password": PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text

    def post_form(self, url: str, fields: dict[str, Any], page: str | None = None, **options: Any):  # type: ignore[no-untyped-def]
        """GET ``page`` (default ``url``) for its CSRF token, then POST ``fields`` to ``url``."""
        token = csrf_token_in(self.client.get(page or url).text)
        options.setdefault("follow_redirects", False)
        return self.client.post(url, data={"csrf_token": token, **fields}, **options)


@contextlib.contextmanager
def superuser_site(target: Target, **options: Any) -> Iterator[Site]:
    """The test app built with ``options`` (see support.build_app), a superuser logged in."""
    app, _ = build_app(target, **options)
    with TestClient(app) as client:
        site = Site(client)
        site.make_user("root", is_superuser=True)
        site.log_in("root")
        yield site


@pytest.fixture
def site(target: Target) -> Iterator[Site]:
    app, _ = build_app(target)
    with TestClient(app) as client:
        yield Site(client)


@pytest.fixture
def superuser(site: Site) -> Site:
    """The site with a superuser logged in."""
    site.make_user("root", is_superuser=True)
    site.log_in("root")
    return site
