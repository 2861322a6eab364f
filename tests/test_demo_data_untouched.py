"""The demo's tests leave a user's demo data alone.

``python -m examples.demo`` keeps its notes and accounts in
``fastcore-demo.sqlite3`` in the system's temporary folder, and its emails in
``fastcore-demo-mail/`` next to it. This runs every test module that uses the
demo in a child pytest whose temporary folder (``TMPDIR``) is a new, empty
one, without ``DATABASE_URL``, so the demo's default paths are in that folder:
after the run, neither may exist there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO_DATA = ["fastcore-demo.sqlite3", "fastcore-demo-mail"]
# An import of the demo, of its test support or of another demo test's fixtures,
# or the demo started as a command.
USES_THE_DEMO = re.compile(r"^(?:from|import) [\w.]*demo|examples\.demo", re.MULTILINE)


def demo_test_modules() -> list[str]:
    here = Path(__file__).resolve()
    return sorted(
        path.relative_to(REPO).as_posix()
        for path in (REPO / "tests").rglob("test_*.py")
        if path != here and USES_THE_DEMO.search(path.read_text(encoding="utf-8"))
    )


def test_the_demo_tests_are_found() -> None:
    modules = demo_test_modules()
    assert {"tests/test_demo.py", "tests/test_demo_notes.py"} <= set(modules)
    assert "tests/browser/test_login_in_chromium.py" in modules


@pytest.fixture
def observed() -> Iterator[Path]:
    """An empty temporary folder with a short path (Chromium puts a socket in it)."""
    folder = Path(tempfile.mkdtemp(prefix="fc-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_the_demo_tests_write_nothing_to_the_demos_default_database(observed: Path) -> None:
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env["TMPDIR"] = str(observed)  # the child's tempfile.gettempdir()
    modules = demo_test_modules()
    result = subprocess.run(
        # Not the slow ones (the scale-out test gives the demo its own PostgreSQL
        # database): they run once, in the suite itself, whose run CI checks the same way.
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not slow",
            *modules,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert re.search(r"\b\d+ passed\b", result.stdout), result.stdout[-2000:]
    touched = [name for name in DEMO_DATA if (observed / name).exists()]
    assert not touched, f"the demo tests wrote the demo's own data: {touched}"
