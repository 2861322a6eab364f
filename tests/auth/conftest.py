"""tests/auth run on SQLite and on PostgreSQL (skipped when the server is absent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fastcore.testing import TestClient
from tests.auth.support import PASSWORD, build_app, csrf_token_in
from tests.orm.conftest import target as target  # noqa: F401 - the per-backend fixture
from tests.orm.orm_support import Target


class Site:
    """A running test app, its client and its email outbox."""

    def __init__(self, client: TestClient, outbox: Path) -> None:
        self.client = client
        self.outbox = outbox

    def make_user(self, username: str, **fields: object) -> int:
        response = self.client.post("/test/users", json={"username": username, **fields})
        assert response.status_code == 200, response.text
        return int(response.json()["id"])

    def form(self, url: str, fields: dict[str, str], page: str | None = None, **options: object):  # type: ignore[no-untyped-def]
        """GET ``page`` (default ``url``) for its CSRF token, then POST the form to ``url``."""
        token = csrf_token_in(self.client.get(page or url).text)
        return self.client.post(url, data={"csrf_token": token, **fields}, **options)

    def log_in(self, username: str, password: str = PASSWORD, **options: object):  # type: ignore[no-untyped-def]
        return self.form(
            "/accounts/login",
            {"username": username, "password": password},
            follow_redirects=False,
            **options,
        )


@pytest.fixture
def site(target: Target, tmp_path: Path) -> Iterator[Site]:
    app, _ = build_app(target, tmp_path / "outbox")
    with TestClient(app) as client:
        yield Site(client, tmp_path / "outbox")
