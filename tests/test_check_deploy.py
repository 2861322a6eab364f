"""``fastcore check --deploy``: every production misconfiguration named, with its fix.

Each app is a module written to a temporary folder and checked through the
command line, as an operator runs it before a deploy.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from fastcore.cli import main

APP = """
from sqlalchemy import MetaData, String
from sqlalchemy.orm import Mapped, mapped_column

from fastcore import App, Settings
from fastcore.orm import Database, IdMixin, Model
from fastcore.security import default_middleware


class Base(Model):
    __abstract__ = True
    metadata = MetaData()


class Note(IdMixin, Base):
    __tablename__ = "notes"
    text: Mapped[str] = mapped_column(String(200))


settings = Settings({settings})
app = App(settings=settings, security=True{middleware})
database = Database({url!r}, metadata=Base.metadata)
database.init_app(app)
"""

STRONG_KEY = "deploy-check_K3y-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"


@pytest.fixture
def write_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write an app module into a temporary folder (the working directory); return its spec."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in ("FASTCORE_DEBUG", "FASTCORE_SECRET_KEY", "FASTCORE_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)

    def write(settings: str, url: str, middleware: str = "") -> str:
        module = f"deploy_app_{uuid.uuid4().hex[:8]}"
        source = APP.format(settings=settings, url=url, middleware=middleware)
        (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
        return f"{module}:app"

    return write


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, str]]:
    """Run ``fastcore check``; return the exit status and each finding's text by id."""
    status = main(["check", *args])
    output = capsys.readouterr()
    found = dict(re.findall(r"fastcore check: ((?:deploy|security)\.[EW]\d+) \((.*)", output.err))
    return status, found


def test_development_settings_are_each_named_with_their_fix(
    write_app, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.sqlite3").touch()  # an empty database
    spec = write_app(
        "debug=True, secret_key='short'",
        f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}",
        middleware=", middleware=default_middleware(debug=True, secret_key='short', "
        "sessions={'secure': False, 'httponly': False})",
    )
    assert main(["check", spec]) == 0  # fine for development
    capsys.readouterr()

    status, found = check(capsys, "--deploy", "--workers", "4", spec)

    assert status == 1
    expected = {
        "deploy.E001": "FASTCORE_DEBUG",  # debug on
        "deploy.E002": "FASTCORE_SECRET_KEY",  # a weak key
        "deploy.E003": "FASTCORE_ALLOWED_HOSTS",  # no allowed hosts
        "deploy.W004": "FASTCORE_HTTPS=1",  # no https
        "deploy.E005": "secure=True",  # the session cookie never Secure
        "deploy.W006": "httponly",  # the session cookie readable by scripts
        "deploy.W020": "PostgreSQL",  # SQLite with 4 workers
        "deploy.W022": "fastcore db init",  # no migrations
        "deploy.E023": "revision --autogenerate",  # the notes table is missing
    }
    assert set(expected) <= set(found), found
    for check_id, fix in expected.items():
        assert "HINT:" in found[check_id] and fix in found[check_id], (check_id, found[check_id])
    assert "add_table notes" in found["deploy.E023"]


def test_an_app_that_cannot_start_in_production_still_gets_every_finding(
    write_app, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_app("", f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}")

    status, found = check(capsys, "--deploy", spec)

    assert status == 1
    assert {"deploy.E002", "deploy.E003", "deploy.W004"} <= set(found)
    assert "deploy.E001" not in found and "deploy.W020" not in found  # debug off, one worker
    # No database file: said, and not created by the check.
    assert "app.sqlite3 does not exist" in found["deploy.E024"]
    assert not (tmp_path / "app.sqlite3").exists()


def test_a_production_ready_app_passes(
    write_app, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}"
    spec = write_app(f"secret_key={STRONG_KEY!r}, allowed_hosts=['example.com'], https=True", url)
    assert main(["db", "--app", spec, "init"]) == 0
    assert main(["db", "--app", spec, "revision", "--autogenerate", "-m", "notes"]) == 0
    capsys.readouterr()
    status, found = check(capsys, "--deploy", spec)
    assert status == 1 and set(found) == {"deploy.E021"}  # not applied yet
    assert "upgrade" in found["deploy.E021"]

    assert main(["db", "--app", spec, "upgrade"]) == 0
    capsys.readouterr()
    status, found = check(capsys, "--deploy", spec)
    assert (status, found) == (0, {})


def test_an_unreachable_database_is_named_without_its_password(
    write_app, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_app(
        f"secret_key={STRONG_KEY!r}, allowed_hosts=['example.com'], https=True",
        "postgresql+asyncpg://app:hunter2secret@127.0.0.1:9/nowhere",
    )
    status, found = check(capsys, "--deploy", spec)
    assert status == 1
    assert "cannot be reached" in found["deploy.E024"]
    assert "hunter2secret" not in found["deploy.E024"]
