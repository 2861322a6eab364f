"""``fastcore shell``: the app, a database session and the models, in a real subprocess."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

APP = """
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fastcore import App
from fastcore.orm import Database, IdMixin, Model


class Memo(IdMixin, Model):
    __tablename__ = "shell_memos"

    text: Mapped[str] = mapped_column(String(50))


app = App()
database = Database("sqlite+aiosqlite:///" + __file__.replace("shellapp.py", "shell.sqlite3"))
database.init_app(app)
"""


def shell(folder: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(folder)}
    env.pop("FASTCORE_APP", None)
    return subprocess.run(
        [str(Path(sys.executable).parent / "fastcore"), "shell", *args],
        cwd=folder,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_shell_has_the_app_a_session_and_the_models(tmp_path: Path) -> None:
    (tmp_path / "shellapp.py").write_text(APP)
    with sqlite3.connect(tmp_path / "shell.sqlite3") as connection:
        connection.execute("CREATE TABLE shell_memos (id INTEGER PRIMARY KEY, text VARCHAR(50))")
    saved = shell(
        tmp_path,
        "--app",
        "shellapp:app",
        "-c",
        "session.add(Memo(text='kept')); session.commit(); session.add(Memo(text='dropped'))",
    )
    assert saved.returncode == 0, saved.stderr
    session = textwrap.dedent(
        """\
        print(app.__class__.__name__, sorted(name for name in dir() if name[0].isupper()))
        print([memo.text for memo in session.scalars(select(Memo))])
        """
    )
    result = shell(tmp_path, "--app", "shellapp:app", "--plain", stdin=session)
    assert result.returncode == 0, result.stderr
    assert "App ['Memo']" in result.stdout
    # Committed work stays; what was not committed was rolled back at exit.
    assert "['kept']" in result.stdout
    assert "fastcore shell for shellapp:app" in result.stderr  # code.interact's banner
    assert "models: Memo" in result.stderr


def test_the_shell_names_what_is_missing(tmp_path: Path) -> None:
    result = shell(tmp_path)
    assert result.returncode == 2
    assert "--app module:app (or FASTCORE_APP)" in result.stderr
    result = shell(tmp_path, "--app", "nowhere:app")
    assert result.returncode == 2 and "cannot import module 'nowhere'" in result.stderr
