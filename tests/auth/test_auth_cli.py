"""fastcore createsuperuser / changepassword / auth create-permissions, on a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fastcore.auth.cli import PASSWORD_VARIABLE
from fastcore.server.cli import import_app, main
from fastcore.testing import TestClient
from tests.auth.support import SECRET, csrf_token_in

APP_SOURCE = """
from fastcore import App, Request, Settings
from fastcore.auth import Auth, auth_routes, login_required
from fastcore.auth.hashers import TEST_HASHER
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.orm import Database

app = App(settings=Settings(debug=False))
app.add_middleware(SessionMiddleware, secret_key={secret!r})
app.add_middleware(CSRFMiddleware)
Database({url!r}).init_app(app)
auth = Auth(secret_key={secret!r}, hasher=TEST_HASHER)
auth.init_app(app)
app.include(auth_routes(auth))


@app.get("/me")
@login_required
async def me(request: Request):
    user = request.user
    return {{"username": user.username, "staff": user.is_staff, "superuser": user.is_superuser}}
"""

STRONG = "plum orbit canyon 77"


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"auth_cli_app_{uuid.uuid4().hex[:8]}"
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    (tmp_path / f"{name}.py").write_text(APP_SOURCE.format(secret=SECRET, url=url))
    monkeypatch.chdir(tmp_path)
    spec = f"{name}:app"
    assert main(["db", "--app", spec, "create-all"]) == 0
    return spec


def _log_in(spec: str, username: str, password: str) -> dict[str, object] | int:
    with TestClient(import_app(spec)) as client:
        token = csrf_token_in(client.get("/accounts/login").text)
        response = client.post(
            "/accounts/login",
            data={"csrf_token": token, "username": username, "password": password},
            follow_redirects=False,
        )
        if response.status_code != 303:
            return response.status_code
        return dict(client.get("/me").json())


def test_createsuperuser_without_prompts(
    spec: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, STRONG)
    args = ["createsuperuser", "--app", spec, "--username", "admin", "--email", "a@example.com"]
    assert main([*args, "--no-input"]) == 0
    assert "superuser 'admin' created" in capsys.readouterr().out
    assert _log_in(spec, "admin", STRONG) == {"username": "admin", "staff": True, "superuser": True}
    assert main([*args, "--no-input"]) == 1
    assert "taken" in capsys.readouterr().err


def test_createsuperuser_refuses_weak_or_missing_passwords(
    spec: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["createsuperuser", "--app", spec, "--username", "admin", "--no-input"]
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    assert main(args) == 1
    assert PASSWORD_VARIABLE in capsys.readouterr().err
    monkeypatch.setenv(PASSWORD_VARIABLE, "admin123")
    assert main(args) == 1
    assert "too similar" in capsys.readouterr().err


def test_changepassword(
    spec: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, STRONG)
    assert main(["createsuperuser", "--app", spec, "--username", "root", "--no-input"]) == 0
    monkeypatch.setenv(PASSWORD_VARIABLE, "a completely new one 9")
    assert main(["changepassword", "--app", spec, "root", "--no-input"]) == 0
    assert _log_in(spec, "root", STRONG) == 400
    assert isinstance(_log_in(spec, "root", "a completely new one 9"), dict)
    assert main(["changepassword", "--app", spec, "ghost", "--no-input"]) == 1
    assert "no user 'ghost'" in capsys.readouterr().err


def test_create_permissions_is_idempotent(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["auth", "--app", spec, "create-permissions"]) == 0
    first = capsys.readouterr().out
    assert main(["auth", "--app", spec, "create-permissions"]) == 0
    assert "created 0 permission(s)" in capsys.readouterr().out
    assert first != "created 0 permission(s)\n"


def test_an_app_without_auth_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain_app_mod.py").write_text(
        "from fastcore import App\nfrom fastcore.orm import Database\n"
        "app = App()\nDatabase('sqlite+aiosqlite://').init_app(app)\n"
    )
    assert main(["auth", "--app", "plain_app_mod:app", "create-permissions"]) == 2
    assert "Auth(...).init_app(app)" in capsys.readouterr().err


@pytest.mark.slow
def test_createsuperuser_prompts(spec: str, tmp_path: Path) -> None:
    # Without a terminal, getpass reads the password lines from stdin.
    environment = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{Path.cwd()}"}
    environment.pop(PASSWORD_VARIABLE, None)
    result = subprocess.run(
        [sys.executable, "-m", "fastcore.server.cli", "createsuperuser", "--app", spec],
        input=f"prompted\nprompted@example.com\n{STRONG}\n{STRONG}\n",
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "superuser 'prompted' created" in result.stdout
    assert isinstance(_log_in(spec, "prompted", STRONG), dict)
