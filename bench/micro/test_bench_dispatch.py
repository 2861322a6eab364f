"""Framework overhead per request, in-process: parse, route, handle, serialize.

fastcore: the raw request bytes go through the compiled parser into the App's
Request, the App's dispatch (router + handler + return-value conversion) and
the compiled response writer. Starlette: the same endpoints as a Starlette
app, called through ASGI with the scope a server would build, collecting the
messages it sends. Neither includes sockets; the load harness (bench/load/)
measures the servers.

Run: ``taskset -c 1 python -m pytest bench/micro/test_bench_dispatch.py --benchmark-only``
"""

from __future__ import annotations

import pytest

from fastcore import App, PlainTextResponse, Request
from fastcore._speedups.http_parser import HttpRequestParser
from fastcore._speedups.response_writer import ResponseWriter

RAW = {
    "/plaintext": b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\n\r\n",
    "/json": b"GET /json HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\n\r\n",
    "/users/42": b"GET /users/42 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\n\r\n",
}


def fastcore_app() -> App:
    app = App()

    @app.get("/plaintext")
    async def plaintext():
        return PlainTextResponse("Hello, World!")

    @app.get("/json")
    async def json():
        return {"message": "Hello, World!"}

    @app.get("/users/{user_id:int}")
    async def user(request: Request, user_id: int):
        return {"id": user_id}

    return app


def starlette_app():  # type: ignore[no-untyped-def]
    starlette = pytest.importorskip("starlette.applications")
    from starlette.responses import JSONResponse
    from starlette.responses import PlainTextResponse as StarlettePlain
    from starlette.routing import Route

    async def plaintext(request):  # type: ignore[no-untyped-def]
        return StarlettePlain("Hello, World!")

    async def json(request):  # type: ignore[no-untyped-def]
        return JSONResponse({"message": "Hello, World!"})

    async def user(request):  # type: ignore[no-untyped-def]
        return JSONResponse({"id": request.path_params["user_id"]})

    return starlette.Starlette(
        routes=[
            Route("/plaintext", plaintext),
            Route("/json", json),
            Route("/users/{user_id:int}", user),
        ]
    )


def drive(coroutine):  # type: ignore[no-untyped-def]
    """Run a coroutine that never really suspends, without an event loop turn."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the handler suspended")


@pytest.mark.parametrize("path", list(RAW))
def test_fastcore_dispatch(benchmark, path: str) -> None:  # type: ignore[no-untyped-def]
    app = fastcore_app()
    dispatch = app.build_dispatch()
    writer = ResponseWriter()
    raw = RAW[path]

    def one_request() -> bytes:
        parser = HttpRequestParser(head_type=Request)
        parser.feed(raw)
        parser.next_event()
        request = parser.head
        response = drive(dispatch(request))
        return writer.serialize(response, 1, True, False)

    assert b"200 OK" in one_request()
    benchmark(one_request)


@pytest.mark.parametrize("path", list(RAW))
def test_starlette_dispatch(benchmark, path: str) -> None:  # type: ignore[no-untyped-def]
    app = starlette_app()

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": b"", "more_body": False}

    async def one_request() -> list:  # type: ignore[type-arg]
        sent = []

        async def send(message):  # type: ignore[no-untyped-def]
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost"), (b"user-agent", b"wrk")],
            "client": ("127.0.0.1", 1234),
            "server": ("127.0.0.1", 8000),
        }
        await app(scope, receive, send)
        return sent

    def run() -> list:  # type: ignore[type-arg]
        # Driven like fastcore's dispatch: no event-loop turn per request.
        return drive(one_request())  # type: ignore[no-any-return]

    assert run()[0]["status"] == 200
    benchmark(run)
