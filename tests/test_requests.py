"""Request fields, decoded lazily, through the test client and the real parser."""

from __future__ import annotations

from fastcore import App, Request
from fastcore.testing import TestClient


def echo_app() -> App:
    app = App()

    @app.route("/echo/{rest:path}", methods=["GET", "POST"])
    async def echo(request: Request, rest: str):
        return {
            "method": request.method,
            "path": request.path,
            "raw_path": request.raw_path,
            "rest": rest,
            "query": request.query.multi_items(),
            "last_x": request.query.get("x"),
            "user_agent": request.headers["User-Agent"],
            "x_multi": request.headers.getlist("x-multi"),
            "cookies": request.cookies,
            "url": str(request.url),
            "host": request.host,
            "client": list(request.client) if request.client else None,
            "content_type": request.content_type,
            "http_version": request.http_version,
        }

    @app.post("/body")
    async def body(request: Request):
        return {"body": (await request.body()).decode(), "again": (await request.text())}

    @app.post("/json")
    async def json_body(request: Request):
        return await request.json()

    @app.post("/stream")
    async def stream(request: Request):
        chunks = [chunk async for chunk in request.stream()]
        return {"size": sum(map(len, chunks))}

    @app.get("/state")
    async def state(request: Request):
        request.state.user = "ada"
        return {"user": request.state.user}

    return app


def test_request_line_headers_query_and_cookies() -> None:
    client = TestClient(echo_app())
    data = client.get(
        "/echo/a%20b/c?x=1&x=2&y=",
        headers={"X-Multi": "one"},
        cookies={"session": "abc", "theme": "dark"},
    ).json()
    assert data["method"] == "GET"
    assert data["path"] == "/echo/a b/c"
    assert data["raw_path"] == "/echo/a%20b/c"
    assert data["rest"] == "a b/c"
    assert data["query"] == [["x", "1"], ["x", "2"], ["y", ""]]
    assert data["last_x"] == "2"
    assert data["user_agent"] == "fastcore-testclient"
    assert data["x_multi"] == ["one"]
    assert data["cookies"] == {"session": "abc", "theme": "dark"}
    assert data["url"] == "http://testserver/echo/a%20b/c?x=1&x=2&y="
    assert data["host"] == "testserver"
    assert data["client"] == ["127.0.0.1", 50000]
    assert data["http_version"] == "1.1"


def test_body_text_and_json() -> None:
    client = TestClient(echo_app())
    assert client.post("/body", content="héllo").json() == {"body": "héllo", "again": "héllo"}
    assert client.post("/json", json={"a": [1, 2]}).json() == {"a": [1, 2]}
    assert client.post("/stream", content=b"x" * 5000).json() == {"size": 5000}


def test_malformed_json_is_a_400_naming_the_position() -> None:
    response = TestClient(echo_app()).post(
        "/json", content=b'{"a": 1,,}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["detail"]
    assert "column" in response.json()["detail"] or "char" in response.json()["detail"]


def test_request_state_namespace() -> None:
    assert TestClient(echo_app()).get("/state").json() == {"user": "ada"}
