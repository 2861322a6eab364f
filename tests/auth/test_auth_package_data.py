"""The auth templates and the common-password list are package data (they reach the wheel)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_build_copies_the_templates_and_the_password_list(tmp_path: Path) -> None:
    # build_py is the wheel's step that copies Python files and package data.
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    auth = tmp_path / "fastcore" / "auth"
    assert (auth / "common-passwords.txt.gz").stat().st_size > 10_000
    shipped = {path.name for path in (auth / "templates" / "auth").iterdir()}
    expected = {path.name for path in (ROOT / "fastcore/auth/templates/auth").iterdir()}
    assert shipped == expected
    assert {"login.html", "base.html", "password_reset_email.txt"} <= shipped
