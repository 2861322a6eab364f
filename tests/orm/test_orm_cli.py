"""``fastcore db ...`` through the real ``fastcore`` console script, on both backends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fastcore.server import cli
from tests.orm.orm_support import Target, table_names

REPO_ROOT = Path(__file__).resolve().parents[2]

APP_MODULE = """
from fastcore import App
from fastcore.orm import Database
from tests.orm.orm_support import Base

app = App()
database = Database({url!r}, metadata=Base.metadata, engine_options={{"connect_args": {args!r}}})
database.init_app(app)
"""


def fastcore_command(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``fastcore`` console script in ``cwd``."""
    script = shutil.which("fastcore") or shutil.which(
        "fastcore", path=os.path.dirname(sys.executable)
    )
    if script is None:
        pytest.skip("the fastcore console script is not installed (pip install -e .)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(REPO_ROOT)])}
    env.pop("FASTCORE_APP", None)
    return subprocess.run(
        [script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_db_commands_through_the_console_script(target: Target, tmp_path: Path) -> None:
    module = f"cli_app_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(
        APP_MODULE.format(url=target.url, args=target.connect_args)
    )
    app = ["--app", f"{module}:app"]

    def db(*args: str) -> str:
        done = fastcore_command(tmp_path, "db", *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "created migrations/" in db("init")
    assert (tmp_path / "migrations" / "env.py").is_file()
    assert "wrote " in db(*app, "revision", "--autogenerate", "-m", "first")
    db(*app, "upgrade")
    database = target.database()
    assert {"items", "alembic_version"} <= table_names(database)
    revision_id = db(*app, "current").strip()
    assert f"None -> {revision_id} (head), first" in db("history")
    db(*app, "downgrade", "base")
    assert "items" not in table_names(database)
    assert "no migrations applied" in db(*app, "current")
    assert "created missing tables" in db(f"--app={module}:database", "create-all")
    assert "items" in table_names(database)


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
    done = fastcore_command(tmp_path, "db", "--app", "missing_module:app", "upgrade")
    assert done.returncode == 2
    assert "cannot import module 'missing_module'" in done.stderr
