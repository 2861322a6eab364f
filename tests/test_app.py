"""The App through the in-process test client: routing, handlers, errors, lifespan."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
import uuid

import pytest

from fastcore import (
    App,
    HTTPException,
    ImproperlyConfigured,
    Middleware,
    PlainTextResponse,
    Request,
    Response,
    RouteGroup,
    abort,
)
from fastcore.testing import TestClient


def make_client(app: App) -> TestClient:
    return TestClient(app)


def test_routes_per_method_and_typed_parameters() -> None:
    app = App()

    @app.get("/users/{user_id:int}")
    async def show(user_id: int):
        return {"id": user_id, "type": type(user_id).__name__}

    @app.post("/users")
    async def create(request: Request):
        return {"created": await request.json()}, 201

    @app.route("/things/{slug}", methods=["PUT", "PATCH"])
    async def things(request: Request, slug: str):
        return PlainTextResponse(f"{request.method} {slug}")

    client = make_client(app)
    assert client.get("/users/42").json() == {"id": 42, "type": "int"}
    created = client.post("/users", json={"name": "ada"})
    assert created.status_code == 201
    assert created.json() == {"created": {"name": "ada"}}
    assert client.put("/things/a-b").text == "PUT a-b"
    assert client.patch("/things/a-b").text == "PATCH a-b"
    assert client.get("/users/abc").status_code == 404


def test_404_and_405_with_allow_header() -> None:
    app = App()

    @app.get("/only-get")
    async def only_get():
        return "ok"

    @app.delete("/only-get")
    async def remove():
        return None

    client = make_client(app)
    missing = client.get("/nope")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found", "status": 404}
    wrong = client.post("/only-get")
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].replace(" ", "").split(",")) >= {"GET", "DELETE"}


def test_head_is_served_by_get_without_a_body() -> None:
    app = App()

    @app.get("/page")
    async def page():
        return "<p>hello</p>"

    response = make_client(app).head("/page")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(b"<p>hello</p>"))


def test_options_is_answered_with_allow() -> None:
    app = App()

    @app.get("/thing")
    async def get_thing():
        return "x"

    @app.post("/thing")
    async def post_thing():
        return "y"

    response = make_client(app).options("/thing")
    assert response.status_code == 204
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}


def test_return_values_become_responses() -> None:
    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    app = App()
    stamp = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    app.add_route("/str", lambda: "<b>hi</b>", name="s")
    app.add_route("/bytes", lambda: b"\x00\x01", name="b")
    app.add_route("/dict", lambda: {"when": stamp, "id": ident}, name="d")
    app.add_route("/list", lambda: [1, 2], name="l")
    app.add_route("/dc", lambda: Point(1, 2), name="dc")
    app.add_route("/none", lambda: None, name="n")
    app.add_route("/tuple", lambda: ("made", 201, {"x-extra": "1"}), name="t")
    client = make_client(app)

    html = client.get("/str")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.text == "<b>hi</b>"
    assert client.get("/bytes").headers["content-type"] == "application/octet-stream"
    assert client.get("/dict").json() == {
        "when": "2026-12-01T12:00:00+00:00",
        "id": "12345678-1234-5678-1234-567812345678",
    }
    assert client.get("/list").json() == [1, 2]
    assert client.get("/dc").json() == {"x": 1, "y": 2}
    assert client.get("/none").status_code == 204
    made = client.get("/tuple")
    assert (made.status_code, made.text, made.headers["x-extra"]) == (201, "made", "1")


def test_sync_handlers_run_in_the_thread_pool() -> None:
    app = App()
    main_thread = threading.get_ident()

    @app.get("/sync/{n:int}")
    def sync_handler(request: Request, n: int):
        return {"n": n, "same_thread": threading.get_ident() == main_thread}

    assert make_client(app).get("/sync/3").json() == {"n": 3, "same_thread": False}


def test_abort_and_http_exceptions_negotiate_html_or_json() -> None:
    app = App()

    @app.get("/teapot")
    async def teapot():
        abort(418, "short and stout")

    client = make_client(app)
    api = client.get("/teapot", headers={"accept": "application/json"})
    assert api.status_code == 418
    assert api.json() == {"detail": "short and stout", "status": 418}
    browser = client.get("/teapot", headers={"accept": "text/html,application/xhtml+xml,*/*"})
    assert browser.status_code == 418
    assert browser.headers["content-type"].startswith("text/html")
    assert "418 short and stout" in browser.text


def test_error_page_escapes_the_detail() -> None:
    app = App()

    @app.get("/boom")
    async def boom():
        raise HTTPException(400, "<script>alert(1)</script>")

    page = make_client(app).get("/boom", headers={"accept": "text/html"})
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_unhandled_errors_are_logged_and_answered_500(caplog: pytest.LogCaptureFixture) -> None:
    app = App()

    @app.get("/crash")
    async def crash():
        raise RuntimeError("secret internals")

    @app.get("/fine")
    async def fine():
        return "fine"

    client = make_client(app)
    with caplog.at_level(logging.ERROR, logger="fastcore.error"):
        response = client.get("/crash")
    assert response.status_code == 500
    assert "secret internals" not in response.text  # no leak outside debug mode
    assert any("secret internals" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert client.get("/fine").text == "fine"


def test_debug_mode_shows_the_traceback() -> None:
    app = App(debug=True)

    @app.get("/crash")
    async def crash():
        raise RuntimeError("visible in debug")

    response = make_client(app).get("/crash", headers={"accept": "application/json"})
    assert response.status_code == 500
    assert "visible in debug" in response.json()["traceback"]


def test_exception_handlers_by_class_and_status() -> None:
    class PaymentRequired(Exception):
        pass

    app = App()

    @app.exception_handler(PaymentRequired)
    async def on_payment(request: Request, exc: PaymentRequired) -> Response:
        return PlainTextResponse("pay first", status_code=402)

    @app.exception_handler(404)
    def on_404(request: Request, exc: HTTPException) -> Response:
        return PlainTextResponse(f"no page at {request.path}", status_code=404)

    @app.get("/premium")
    async def premium():
        raise PaymentRequired()

    client = make_client(app)
    assert (client.get("/premium").status_code, client.get("/premium").text) == (402, "pay first")
    assert client.get("/a%20b").text == "no page at /a b"


def test_middleware_order_and_short_circuit() -> None:
    calls: list[str] = []

    class Tag(Middleware):
        def __init__(self, next, *, label: str) -> None:
            super().__init__(next)
            self.label = label

        async def __call__(self, request: Request) -> Response:
            calls.append(f"in {self.label}")
            response = await self.next(request)
            calls.append(f"out {self.label}")
            response.headers.append("x-chain", self.label)
            return response

    class Gate(Middleware):
        async def __call__(self, request: Request) -> Response:
            if request.headers.get("x-blocked"):
                return PlainTextResponse("blocked", status_code=403)
            return await self.next(request)

    app = App(middleware=[(Tag, {"label": "outer"})])
    app.add_middleware(Tag, label="inner")
    app.add_middleware(Gate)

    @app.get("/")
    async def home():
        calls.append("handler")
        return "home"

    client = make_client(app)
    response = client.get("/")
    assert calls == ["in outer", "in inner", "handler", "out inner", "out outer"]
    assert response.headers.getlist("x-chain") == ["inner", "outer"]
    assert client.get("/", headers={"x-blocked": "1"}).status_code == 403


def test_exceptions_from_middleware_become_responses() -> None:
    class Broken(Middleware):
        async def __call__(self, request: Request) -> Response:
            if request.path == "/forbidden":
                abort(403)
            raise RuntimeError("middleware bug")

    app = App()
    app.add_middleware(Broken)
    app.add_route("/", lambda: "x")
    client = make_client(app)
    assert client.get("/forbidden").status_code == 403
    assert client.get("/").status_code == 500


def test_function_middleware() -> None:
    app = App()

    @app.middleware_function
    async def add_header(request, call_next):
        response = await call_next(request)
        response.headers["x-func"] = "yes"
        return response

    app.add_route("/", lambda: "x")
    assert make_client(app).get("/").headers["x-func"] == "yes"


def test_route_groups_with_prefix_names_and_own_middleware() -> None:
    class GroupOnly(Middleware):
        async def __call__(self, request: Request) -> Response:
            response = await self.next(request)
            response.headers["x-group"] = "api"
            return response

    app = App()
    api = RouteGroup("/api", name="api", middleware=[GroupOnly])
    v1 = RouteGroup("/v1", name="v1")

    @v1.get("/items/{item_id:int}")
    async def item(item_id: int):
        return {"item": item_id}

    @app.get("/")
    async def home():
        return "home"

    api.include(v1)
    app.include(api)
    client = make_client(app)
    response = client.get("/api/v1/items/7")
    assert response.json() == {"item": 7}
    assert response.headers["x-group"] == "api"
    assert "x-group" not in client.get("/").headers
    assert app.url_for("api.v1.item", item_id=7) == "/api/v1/items/7"


def test_url_for_from_handlers_and_default_names() -> None:
    app = App()

    @app.get("/files/{name}")
    async def download(request: Request, name: str):
        return request.url_for("download", name="a b.txt")

    assert make_client(app).get("/files/x").text == "/files/a%20b.txt"


def test_handler_signature_errors_fail_at_registration() -> None:
    app = App()
    with pytest.raises(ImproperlyConfigured, match="unknown_thing"):

        @app.get("/x/{a}")
        async def handler(a: str, unknown_thing: int):
            return "x"

    with pytest.raises(ImproperlyConfigured, match="does not take the path parameter"):

        @app.get("/y/{b}")
        async def other():
            return "y"


def test_routes_are_frozen_after_startup() -> None:
    app = App()
    app.add_route("/", lambda: "x")
    with TestClient(app):
        with pytest.raises(ImproperlyConfigured, match="frozen"):
            app.add_route("/late", lambda: "late")


def test_lifespan_hooks_and_context_manager_run_in_order() -> None:
    events: list[str] = []

    async def lifespan(app: App):
        events.append("enter")
        yield
        events.append("exit")

    import contextlib

    app = App(lifespan=contextlib.asynccontextmanager(lifespan))

    @app.on_startup
    async def start() -> None:
        events.append("startup")

    @app.on_shutdown
    def stop() -> None:
        events.append("shutdown")

    app.add_route("/", lambda: "x")
    with TestClient(app) as client:
        assert events == ["enter", "startup"]
        assert client.get("/").text == "x"
    assert events == ["enter", "startup", "shutdown", "exit"]


def test_redirect_slashes_option() -> None:
    app = App(redirect_slashes=True)
    app.add_route("/docs/", lambda: "docs", name="docs")
    client = TestClient(app, follow_redirects=False)
    response = client.get("/docs?page=2")
    assert response.status_code == 308
    assert response.headers["location"] == "/docs/?page=2"
    strict = App()
    strict.add_route("/docs/", lambda: "docs", name="docs")
    assert TestClient(strict).get("/docs").status_code == 404


def test_threadpool_size_setting_bounds_sync_handlers() -> None:
    import time

    from fastcore import Settings

    app = App(settings=Settings(threadpool_size=2))
    active: list[int] = []
    peak: list[int] = []
    lock = threading.Lock()

    @app.get("/slow")
    def slow():
        with lock:
            active.append(1)
            peak.append(len(active))
        time.sleep(0.05)
        with lock:
            active.pop()
        return "done"

    import asyncio

    from fastcore.testing import AsyncTestClient

    async def burst() -> list[int]:
        async with AsyncTestClient(app) as client:
            responses = await asyncio.gather(*(client.get("/slow") for _ in range(6)))
        return [r.status_code for r in responses]

    try:
        assert asyncio.run(burst()) == [200] * 6
        assert max(peak) == 2
    finally:
        from fastcore.concurrency import configure_threadpool

        configure_threadpool(40)
