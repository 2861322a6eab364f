"""``fastcore new``: the skeleton builds, migrates, passes its own tests and serves 200 on /.

The end-to-end test drives the real command line in subprocesses, as a
newcomer would, in one generated project (generation, migrations, its test
suite and a server start take about fifteen seconds together).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from fastcore.cli import main
from fastcore.exceptions import ImproperlyConfigured
from fastcore.scaffold import create_project, validate_name

BIN = Path(sys.executable).parent
NAME = "newsroom"


def project_env(project: Path) -> dict[str, str]:
    """The environment of a user working in the project: its package importable."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    for name in list(env):
        # The outer test run's settings must not leak into the project's.
        if name.startswith("FASTCORE_") or name in ("DATABASE_URL", "PYTEST_ADDOPTS"):
            del env[name]
    return env


def run(project: Path, *command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        cwd=project,
        env=project_env(project),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


def serve_and_get_home(project: Path) -> tuple[int, str]:
    """Start the project with `fastcore run` on a free port; GET /; stop it."""
    log = project / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(BIN / "fastcore"), "run", f"{NAME}.app:app", "--port", "0"],
            cwd=project,
            env=project_env(project),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline and server.poll() is None:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read_text())
            url = found.group(1) if found else None
            time.sleep(0.1)
        assert url, f"the server did not start: {log.read_text()}"
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            return response.status, response.read().decode()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.slow
def test_a_new_project_migrates_passes_its_tests_and_serves(tmp_path: Path) -> None:
    created = run(tmp_path, str(BIN / "fastcore"), "new", NAME)
    assert f"fastcore run {NAME}.app:app" in created.stdout
    project = tmp_path / NAME

    # The skeleton: settings from .env (a key of its own), kept out of git and images.
    env_file = (project / ".env").read_text()
    key = re.search(r"^FASTCORE_SECRET_KEY=(\S+)$", env_file, re.MULTILINE)
    assert key and len(key.group(1)) >= 48
    assert ".env" in (project / ".gitignore").read_text().split()
    assert ".env" in (project / ".dockerignore").read_text().split()
    dockerfile = (project / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) == 2  # build stage, then runtime
    assert re.search(r"^USER app$", dockerfile, re.MULTILINE)  # not root
    assert f"fastcore run {NAME}.app:app" in (project / "README.md").read_text()
    assert not list(project.rglob("*-tpl"))
    [first_migration] = (project / "migrations" / "versions").glob("*.py")

    # Its code is lint-clean under its own configuration.
    run(project, str(BIN / "ruff"), "check", ".")
    run(project, str(BIN / "ruff"), "format", "--check", ".")

    # The migrations create the tables, and match the models (nothing left to autogenerate).
    fastcore_db = [str(BIN / "fastcore"), "db", "--app", f"{NAME}.app:app"]
    run(project, *fastcore_db, "upgrade")
    with sqlite3.connect(project / f"{NAME}.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"notes", "auth_users", "alembic_version"} <= tables
    written = run(project, *fastcore_db, "revision", "--autogenerate", "-m", "nothing")
    check = Path(written.stdout.split("wrote ", 1)[1].strip())
    assert "op." not in check.read_text(), "the first migration does not match the models"
    check.unlink()
    assert [path.name for path in (project / "migrations" / "versions").glob("*.py")] == [
        first_migration.name
    ]

    # Its own test suite passes, on fastcore's pytest plugin.
    tests = run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:randomly")
    assert re.search(r"\b9 passed\b", tests.stdout), tests.stdout

    # It builds as a package with its templates and static files.
    run(
        project,
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        str(tmp_path / "dist"),
        ".",
    )
    [wheel] = (tmp_path / "dist").glob(f"{NAME}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {
        f"{NAME}/app.py",
        f"{NAME}/templates/index.html",
        f"{NAME}/templates/auth/base.html",
        f"{NAME}/static/style.css",
    } <= names

    # And it starts: 200 on / from the real server.
    status, page = serve_and_get_home(project)
    assert status == 200
    assert f"Welcome to {NAME}" in page


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("My-Blog", "not a valid project name"),
        ("1blog", "not a valid project name"),
        ("blog.site", "not a valid project name"),
        ("", "not a valid project name"),
        ("café", "not a valid project name"),
        ("class", "Python keyword"),
        ("json", "importable module"),
        ("fastcore", "importable module"),
    ],
)
def test_bad_names_are_refused_with_the_reason(
    name: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ImproperlyConfigured, match=reason):
        validate_name(name)
    assert main(["new", name, "--directory", str(tmp_path / "out")]) == 2
    assert reason in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_non_empty_folder_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "blog"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["new", "blog", "--directory", str(target)]) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert [path.name for path in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "mine"
    file_target = tmp_path / "a_file"
    file_target.write_text("x")
    with pytest.raises(ImproperlyConfigured, match="not a directory"):
        create_project("blog", file_target)


def test_a_failed_generation_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Python that cannot run the migration step stands in for any failure half-way.
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with pytest.raises(FileNotFoundError):
        create_project("blog", tmp_path / "blog")
    assert not (tmp_path / "blog").exists()
