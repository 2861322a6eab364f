"""Shared pieces of the security tests: a strong key, a Redis probe, an HTML app."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

from fastcore import App, HTMLResponse, Request
from fastcore.config import Settings

SECRET = "k3Y-for-tests_0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
OTHER_SECRET = "an0ther-KEY_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

PAGE = """<!doctype html>
<title>{{ title }}</title>
<form method="post" action="/submit">{{ csrf_input() }}<input name="text"></form>
<p id="q">{{ q }}</p>
<ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>
<script nonce="{{ csp_nonce() }}">var ok = 1;</script>
"""


def redis_available() -> bool:
    """Whether the Redis server on 127.0.0.1:6379 answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def unique_prefix(kind: str) -> str:
    """A Redis key prefix no other test run uses."""
    return f"fastcore-test:{kind}:{uuid.uuid4().hex}:"


def delete_prefix(prefix: str) -> None:
    """Delete every Redis key under ``prefix`` (test cleanup)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def html_app(tmp_path: Path, middleware: list[Any], **app_options: Any) -> App:
    """An app with a form page, a stored-comments list and a POST endpoint."""
    (tmp_path / "page.html").write_text(PAGE)
    app_options.setdefault("settings", Settings(template_folders=[str(tmp_path)]))
    app = App(middleware=middleware, **app_options)
    comments: list[str] = []

    @app.get("/")
    async def page(request: Request) -> HTMLResponse:
        q = request.query.get("q", "")
        return app.render("page.html", title="Form", q=q, items=comments)

    @app.post("/submit")
    async def submit(request: Request) -> dict[str, Any]:
        form = dict(item.split("=", 1) for item in (await request.text()).split("&") if item)
        return {"ok": True, "fields": sorted(form)}

    @app.post("/comments")
    async def add_comment(request: Request) -> dict[str, Any]:
        comments.append((await request.json())["text"])
        return {"count": len(comments)}

    return app


def token_from(html: str) -> str:
    """The CSRF token of the hidden input in a rendered page."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
