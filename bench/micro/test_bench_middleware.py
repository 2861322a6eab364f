"""Cost of the default HTML security stack on a simple page, in-process.

The same page (a small HTML response) dispatched through the App with no
middleware and with ``fastcore.security.default_middleware(...)`` (trusted
hosts, security headers with CSP, body and rate limit hooks, signed-cookie
sessions, CSRF): parse, dispatch, serialize, exactly like
``test_bench_dispatch.py``. Two requests: an anonymous visitor (no cookie) and
a returning one with a session cookie, whose session is verified and loaded.

Run: ``taskset -c 1 python -m pytest bench/micro/test_bench_middleware.py --benchmark-only``
"""

from __future__ import annotations

import pytest

from fastcore import App, HTMLResponse, Request
from fastcore._speedups.http_parser import HttpRequestParser
from fastcore._speedups.response_writer import ResponseWriter
from fastcore.security import default_middleware

SECRET = "bench-K3y_0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
PAGE = "<!doctype html><title>Hello</title><h1>Hello, World!</h1>"
HEAD = b"GET /page HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\n"


def build_app(secured: bool) -> App:
    middleware = (
        default_middleware(secret_key=SECRET, allowed_hosts=["localhost"]) if secured else []
    )
    app = App(middleware=middleware)

    @app.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/login")
    async def login(request: Request) -> HTMLResponse:
        request.session["user_id"] = 42
        return HTMLResponse(PAGE)

    return app


def drive(coroutine):  # type: ignore[no-untyped-def]
    """Run a coroutine that never really suspends, without an event loop turn."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the handler suspended")


def session_cookie(app: App) -> bytes:
    dispatch = app.build_dispatch()
    parser = HttpRequestParser(head_type=Request)
    parser.feed(b"GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n")
    parser.next_event()
    request = parser.head
    request.client = ("127.0.0.1", 1)
    response = drive(dispatch(request))
    value = dict(response.raw_headers)[b"set-cookie"].split(b";")[0]
    return b"Cookie: " + value + b"\r\n"


@pytest.mark.parametrize("stack", ["none", "default"])
@pytest.mark.parametrize("visitor", ["anonymous", "with-session"])
def test_page_dispatch(benchmark, stack: str, visitor: str) -> None:  # type: ignore[no-untyped-def]
    app = build_app(stack == "default")
    dispatch = app.build_dispatch()
    writer = ResponseWriter()
    raw = HEAD
    if visitor == "with-session":
        raw += session_cookie(app) if stack == "default" else b"Cookie: session=x\r\n"
    raw += b"\r\n"

    def one_request() -> bytes:
        parser = HttpRequestParser(head_type=Request)
        parser.feed(raw)
        parser.next_event()
        request = parser.head
        request.client = ("127.0.0.1", 50000)
        response = drive(dispatch(request))
        return writer.serialize(response, 1, True, False)

    out = one_request()
    assert b"200 OK" in out and b"Hello, World!" in out
    assert (b"content-security-policy" in out) == (stack == "default")
    benchmark(one_request)
