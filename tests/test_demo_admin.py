"""The demo's /admin: a superuser made with ``fastcore createsuperuser`` manages the notes."""

from __future__ import annotations

import re
import uuid

import pytest

from fastcore.auth.cli import PASSWORD_VARIABLE
from fastcore.server.cli import main
from fastcore.testing import TestClient
from tests.demo_support import DEMO_MODULE, demo_app
from tests.security.helpers import token_from

PASSWORD = "plum orbit canyon 77"


def test_createsuperuser_then_manage_notes_in_the_admin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    username = f"boss-{uuid.uuid4().hex[:8]}"
    with TestClient(demo_app()) as client:
        assert client.get("/admin", follow_redirects=False).headers["location"] == (
            "/accounts/login?next=%2Fadmin"
        )
        monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
        spec = f"{DEMO_MODULE}:app"
        assert main(["createsuperuser", "--app", spec, "--username", username, "--no-input"]) == 0
        assert "created" in capsys.readouterr().out
        token = token_from(client.get("/accounts/login").text)
        client.post(
            "/accounts/login",
            data={"csrf_token": token, "username": username, "password": PASSWORD},
        )
        index = client.get("/admin")
        assert index.status_code == 200
        for name in ("Notes", "Users", "Groups"):
            assert f">{name}</a>" in index.text
        marker = uuid.uuid4().hex
        token = token_from(client.get("/admin/demo/note/add").text)
        added = client.post(
            "/admin/demo/note/add",
            data={"csrf_token": token, "text": f"from the admin {marker}", "_save": ""},
            follow_redirects=False,
        )
        assert added.status_code == 303
        listing = client.get(f"/admin/demo/note?q={marker}")
        assert re.search(rf"from the admin {marker}", listing.text)
        assert "1 note" in listing.text
        assert marker in client.get("/notes").text  # the demo's own page shows it
