"""``fastcore db ...`` through the command-line entry point of fastcore.orm.cli."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from fastcore.orm import cli
from tests.orm.orm_support import Target

APP_MODULE = """
from fastcore import App
from fastcore.orm import Database
from tests.orm.orm_support import Base

app = App()
database = Database({url!r}, metadata=Base.metadata, engine_options={{"connect_args": {args!r}}})
database.init_app(app)
"""


def test_db_commands(
    target: Target,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = f"cli_app_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(
        APP_MODULE.format(url=target.url, args=target.connect_args)
    )
    monkeypatch.chdir(tmp_path)
    app = ["--app", f"{module}:app"]

    assert cli.main(["db", "init"]) == 0
    assert (tmp_path / "migrations" / "env.py").is_file()
    assert cli.main(["db", *app, "revision", "--autogenerate", "-m", "first"]) == 0
    assert cli.main(["db", *app, "upgrade"]) == 0
    capsys.readouterr()
    assert cli.main(["db", *app, "current"]) == 0
    revision_id = capsys.readouterr().out.strip()
    assert cli.main(["db", "history"]) == 0
    assert f"None -> {revision_id} (head), first" in capsys.readouterr().out
    assert cli.main(["db", *app, "downgrade", "base"]) == 0
    assert cli.main(["db", *app, "current"]) == 0
    assert "no migrations applied" in capsys.readouterr().out
    assert cli.main(["db", f"--app={module}:database", "create-all"]) == 0


def test_db_commands_explain_configuration_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FASTCORE_APP", raising=False)
    assert cli.main(["db", "--app", "", "current"]) == 2
    assert "name the app" in capsys.readouterr().err
    (tmp_path / "no_db_app.py").write_text("from fastcore import App\napp = App()\n")
    assert cli.main(["db", "--app", "no_db_app:app", "current"]) == 2
    assert "has no Database" in capsys.readouterr().err
    assert cli.main(["db", "history"]) == 2
    assert "fastcore db init" in capsys.readouterr().err
