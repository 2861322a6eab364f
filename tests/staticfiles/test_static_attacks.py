"""Static files refuse every way out of their root, hidden files and listings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fastcore import App
from fastcore.testing import LiveServer
from tests.staticfiles.support import fetch, raw_status

SECRET = b"secret-key-material"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("attacks")
    (base / "secret.txt").write_bytes(SECRET)  # beside the root, never served
    root = base / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "app.css").write_bytes(b"ok")
    (root / ".env").write_bytes(SECRET)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_bytes(SECRET)
    (root / "a\\b.txt").write_bytes(SECRET)  # a backslash in a POSIX name
    os.symlink(base / "secret.txt", root / "out.txt")  # a symlink leaving the root
    os.symlink(base, root / "up")  # a folder symlink leaving the root
    os.symlink(root / ".env", root / "env-link.txt")  # to a hidden file inside
    os.symlink(root / "css" / "app.css", root / "inside.css")  # stays inside: fine
    app = App(security=False)
    app.static("/static", root)
    with LiveServer(app) as live:
        yield live.url


def test_the_control_file_is_served(server: str) -> None:
    assert fetch(server, "/static/css/app.css").body == b"ok"
    assert fetch(server, "/static/inside.css").body == b"ok"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/css/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/css%2f..%2f..%2fsecret.txt",
        "/static/..%2fsecret.txt",
        "/static/%252e%252e/secret.txt",  # double encoding stays literal
        "/static/..%5csecret.txt",
        "/static/css%5c..%5c..%5csecret.txt",
        "/static/a%5cb.txt",
        "/static/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 dots
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/./css/app.css",
        "/static/css//app.css",
        "/static/out.txt",
        "/static/up/secret.txt",
        "/static/.env",
        "/static/%2eenv",
        "/static/.git/config",
        "/static/env-link.txt",
        "/static/css",
        "/static/css/",
        "/static/",
        "/static",
        "/static/css/app.css%00.png",
        "/static/css/app.css%00",
    ],
)
def test_escapes_hidden_files_and_folders_are_not_found(server: str, path: str) -> None:
    reply = fetch(server, path)
    assert reply.status in (400, 404), (path, reply.status)
    assert SECRET not in reply.body
    assert b"app.css" not in reply.body  # no listing


@pytest.mark.parametrize(
    "raw",
    [
        b"/static/\x00secret.txt",
        b"/static/..\\secret.txt",
        b"/static/css\\..\\..\\secret.txt",
        b"/static/../secret.txt",
    ],
)
def test_raw_bytes_in_the_request_line_are_refused(server: str, raw: bytes) -> None:
    assert raw_status(server, raw) in (400, 404)
