"""CSRF with forms: the token travels in urlencoded and multipart bodies, read once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fastcore import App, Request
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.security_headers import SecurityHeadersMiddleware
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.testing import TestClient
from fastcore.uploads import UploadFile
from tests.forms.multipart import encode_multipart
from tests.security.helpers import SECRET, html_app, token_from


@pytest.fixture
def app(tmp_path: Path) -> App:
    stack = [(SessionMiddleware, {"secret_key": SECRET}), SecurityHeadersMiddleware, CSRFMiddleware]
    app = html_app(tmp_path, stack)

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        form = await request.form()
        file = form["file"]
        assert isinstance(file, UploadFile)
        return {"title": form["title"], "content": (await file.read()).decode()}

    @app.post("/fields")
    async def fields(request: Request) -> dict[str, Any]:
        form = await request.form()
        return {"names": sorted(form), "body": (await request.body()).decode()}

    return app


def multipart(token: str | None) -> tuple[bytes, dict[str, str]]:
    fields = [("title", "hi")] + ([("csrf_token", token)] if token is not None else [])
    return encode_multipart(fields=fields, files=[("file", "a.txt", b"content", "text/plain")])


def test_multipart_form_with_the_token_field_passes(app: App) -> None:
    client = TestClient(app)
    token = token_from(client.get("/").text)
    body, headers = multipart(token)
    response = client.post("/upload", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"title": "hi", "content": "content"}


def test_multipart_form_without_a_token_or_with_a_wrong_one_is_refused(app: App) -> None:
    client = TestClient(app)
    token = token_from(client.get("/").text)
    # A wrong token: its last two characters changed (never to what they were).
    wrong = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for body, headers in (multipart(None), multipart(wrong), multipart("")):
        response = client.post("/upload", content=body, headers=headers)
        assert response.status_code == 403
        assert "CSRF check failed" in response.json()["detail"]


def test_multipart_form_with_the_token_header_passes(app: App) -> None:
    client = TestClient(app)
    token = token_from(client.get("/").text)
    body, headers = multipart(None)
    response = client.post("/upload", content=body, headers={**headers, "x-csrf-token": token})
    assert response.status_code == 200 and response.json()["content"] == "content"


def test_a_file_named_like_the_token_field_is_not_a_token(app: App) -> None:
    client = TestClient(app)
    client.get("/")
    body, headers = encode_multipart(files=[("csrf_token", "t.txt", b"x", "text/plain")])
    assert client.post("/upload", content=body, headers=headers).status_code == 403


def test_urlencoded_form_and_body_after_the_csrf_check(app: App) -> None:
    client = TestClient(app)
    token = token_from(client.get("/").text)
    response = client.post("/fields", data={"a": "1", "csrf_token": token})
    assert response.status_code == 200
    assert response.json()["names"] == ["a", "csrf_token"]
    assert response.json()["body"].startswith("a=1&csrf_token=")


def test_a_malformed_body_is_400_even_before_the_token_check(app: App) -> None:
    client = TestClient(app)
    client.get("/")
    headers = {"content-type": "multipart/form-data; boundary=abc"}
    response = client.post("/upload", content=b"--zzz\r\n", headers=headers)
    assert response.status_code == 400
