"""The ``fastcore`` command line: app import, ``routes``, errors, ``run`` end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fastcore.exceptions import ImproperlyConfigured
from fastcore.server.cli import import_app, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cliapp.py").write_text(
        textwrap.dedent(
            """
            from fastcore import App

            app = App()

            @app.get("/users/{user_id:int}", name="user")
            async def user(user_id: int):
                return {"id": user_id}

            class Holder:
                inner = app

            not_an_app = 42
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    sys.modules.pop("cliapp", None)


def test_import_app_resolves_dotted_attributes(app_dir: Path) -> None:
    assert import_app("cliapp:Holder.inner") is import_app("cliapp:app")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cliapp", "expected 'module:app'"),
        ("missing_module_xyz:app", "cannot import module"),
        ("cliapp:nothing", "has no attribute"),
    ],
)
def test_import_app_errors_name_the_culprit(app_dir: Path, spec: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        import_app(spec)


def test_routes_prints_the_route_table(app_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "cliapp:app"]) == 0
    out = capsys.readouterr().out
    assert "/users" in out and "GET=user" in out


def test_routes_of_an_html_app_need_no_serving_configuration(
    app_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Production mode with no secret key: serving refuses to start, listing does not.
    templates = app_dir / "templates"
    templates.mkdir()
    (app_dir / "htmlapp.py").write_text(
        textwrap.dedent(
            f"""
            from fastcore import App, Settings

            app = App(settings=Settings(template_folders=[{str(templates)!r}]))

            @app.get("/", name="home")
            async def home():
                return "<p>home</p>"
            """
        )
    )
    for variable in ("FASTCORE_DEBUG", "FASTCORE_SECRET_KEY", "FASTCORE_ALLOWED_HOSTS"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["routes", "htmlapp:app"]) == 0
    assert "GET=home" in capsys.readouterr().out
    from htmlapp import app  # type: ignore[import-not-found]

    with pytest.raises(ImproperlyConfigured, match="secret key"):
        app.build_dispatch()


def test_routes_without_a_router_fails(app_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "cliapp:not_an_app"]) == 2
    assert "has no router" in capsys.readouterr().err


def test_bad_app_spec_exits_2(app_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "cliapp:nothing"]) == 2
    assert "has no attribute 'nothing'" in capsys.readouterr().err


@pytest.mark.slow
def test_run_serves_the_app_with_access_log_and_stops_on_sigint(app_dir: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fastcore.server.cli",
            "run",
            "cliapp:app",
            "--port",
            "0",
            "--access-log",
        ],
        cwd=app_dir,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        while "listening on" not in (line := process.stderr.readline()):
            seen.append(line)
            assert line, f"the server did not start: {''.join(seen)}"
        port = int(line.rsplit(":", 1)[1])
        import socket

        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /users/7 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK")
        assert data.endswith(b'{"id":7}')
        access = process.stderr.readline()
        assert '"GET /users/7 HTTP/1.1" 200 8' in access
        time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def test_run_on_a_port_in_use_fails_cleanly(
    app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["run", "cliapp:app", "--port", str(port)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
