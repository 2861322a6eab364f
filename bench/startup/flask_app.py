"""A one-route Flask app, asked once through its WSGI callable, then exit.

Flask has no startup step: the app serves once its routes are declared. The
request is a minimal WSGI environ, the response iterable is read and closed
as a WSGI server would.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import Any

from _report import report
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Answer the greeting."""
    return "Hello, world!"


def serve_one(wsgi_app: Any) -> tuple[str, bytes]:
    """Answer one ``GET /`` through ``wsgi_app``."""
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    result = wsgi_app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return statuses[0], body


if __name__ == "__main__":
    answer = serve_one(app)
    if answer != ("200 OK", b"Hello, world!"):
        raise SystemExit(f"unexpected answer {answer!r}")
    report()
