"""`fastcore run --reload`: restart on .py/.env changes, survive a broken module."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import time
from pathlib import Path

import pytest

from fastcore.server.reload import SourceFilter, _without_reload
from tests.server.server_process import ServerProcess, pid_alive, wait_gone

pytest.importorskip("watchfiles", reason="--reload needs watchfiles")

pytestmark = pytest.mark.slow

SOURCE = """
from fastcore._speedups.http_parser import RequestHead
from fastcore.responses import PlainTextResponse
import os

class App:
    request_class = RequestHead

    async def startup(self):
        pass

    async def shutdown(self):
        pass

    def build_dispatch(self):
        async def dispatch(request):
            return PlainTextResponse(f"{VERSION} {os.environ.get('GREETING', '-')} {os.getpid()}")
        return dispatch

VERSION = "one"
app = App()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_text(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read().decode()
    finally:
        connection.close()


def test_reload_restarts_on_changes_and_survives_a_broken_module(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "reloadapp.py").write_text(SOURCE)
    server = ServerProcess(
        tmp_path, "reloadapp:app", "--port", str(port), "--reload", ready=r"listening on \S+"
    )
    children: set[int] = set()
    try:
        first = get_text(port)
        assert first.startswith("one - ")
        children.add(int(first.split()[2]))

        # The same size as before: within the second of the first write, the
        # cached bytecode's (mtime, size) would still match, so it goes first.
        shutil.rmtree(tmp_path / "__pycache__", ignore_errors=True)
        (tmp_path / "reloadapp.py").write_text(SOURCE.replace('"one"', '"two"'))
        server.wait_for(r"changed: reloadapp\.py; restarting")
        server.wait_for(r"listening on \S+")
        second = get_text(port)
        assert second.startswith("two - ")
        children.add(int(second.split()[2]))
        assert wait_gone({int(first.split()[2])}, 5) == set()

        # A syntax error: shown, and the reloader keeps watching.
        (tmp_path / "reloadapp.py").write_text(SOURCE + "\ndef broken(:\n")
        server.wait_for(r"SyntaxError")
        server.wait_for(r"waiting for a change to restart it")
        assert pid_alive(server.pid)

        (tmp_path / "reloadapp.py").write_text(
            SOURCE.replace('"one"', '"three"').replace(
                "import os",
                "import os\nos.environ.setdefault('GREETING', open('.env').read().strip())",
            )
        )
        (tmp_path / ".env").write_text("hello")
        server.wait_for(r"listening on \S+")
        time.sleep(0.3)
        (tmp_path / ".env").write_text("bonjour")
        server.wait_for(r"changed: .*\.env; restarting")
        server.wait_for(r"listening on \S+")
        third = get_text(port)
        assert re.match(r"three bonjour \d+", third), third
        children.add(int(third.split()[2]))

        server.signal(signal.SIGTERM)
        assert server.process.wait(15) == 0
        assert wait_gone(children, 5) == set()
    finally:
        server.kill()
        for pid in children:
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


TEMPLATED = """
import os

from fastcore import App, Settings

app = App(settings=Settings(template_folders=[{folder!r}]), security=False)


@app.get("/")
async def page():
    return app.render("page.html", pid=os.getpid())
"""


def test_a_template_edit_is_served_without_a_restart(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("first {{ pid }}")
    (tmp_path / "templatedapp.py").write_text(TEMPLATED.format(folder=str(tmp_path / "templates")))
    server = ServerProcess(
        tmp_path, "templatedapp:app", "--port", str(port), "--reload", ready=r"listening on \S+"
    )
    try:
        word, pid = get_text(port).split()
        assert word == "first"
        page.write_text("second {{ pid }}")
        os.utime(page, (time.time() + 1, time.time() + 1))  # a later modification time
        assert get_text(port).split() == ["second", pid]  # the same process: no restart
    finally:
        server.kill()


def test_the_served_child_dies_with_a_killed_reloader(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "reloadapp.py").write_text(SOURCE)
    server = ServerProcess(
        tmp_path, "reloadapp:app", "--port", str(port), "--reload", ready=r"listening on \S+"
    )
    try:
        child = int(get_text(port).split()[2])
        server.signal(signal.SIGKILL)
        assert wait_gone({child}, 5) == set()
    finally:
        server.kill()


def test_source_filter_and_argument_rewriting() -> None:
    watched = SourceFilter()
    assert watched(None, "/srv/app/views.py")
    assert watched(None, "/srv/app/.env") and watched(None, "/srv/app/.env.local")
    assert not watched(None, "/srv/app/static/site.css")
    assert not watched(None, "/srv/app/__pycache__/views.cpython-311.pyc")
    assert not watched(None, "/srv/app/.venv/lib/site.py")
    argv = ["run", "app:app", "--reload", "--reload-dir", "src", "--reload-dir=lib", "--port", "1"]
    assert _without_reload(argv) == ["run", "app:app", "--port", "1"]
