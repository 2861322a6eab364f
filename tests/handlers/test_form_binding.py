"""Form fields and uploaded files bound by Form() markers."""

from __future__ import annotations

from typing import Annotated

from fastcore import App, Form
from fastcore.testing import TestClient
from fastcore.uploads import UploadFile


def make_app() -> App:
    app = App()

    @app.post("/signup")
    async def signup(
        name: Annotated[str, Form(min_length=2)],
        age: Annotated[int, Form(ge=0)],
        topics: Annotated[list[str], Form()] = [],  # noqa: B006 (the binder copies defaults)
        newsletter: Annotated[bool, Form()] = False,
    ):
        return {"name": name, "age": age, "topics": topics, "newsletter": newsletter}

    @app.post("/upload")
    async def upload(
        title: Annotated[str, Form()],
        document: Annotated[UploadFile, Form()],
        extra: Annotated[UploadFile | None, Form()] = None,
    ):
        return {
            "title": title,
            "filename": document.filename,
            "content": (await document.read()).decode(),
            "extra": extra is not None,
        }

    return app


def test_urlencoded_fields_are_validated() -> None:
    client = TestClient(make_app())
    got = client.post("/signup", data={"name": "ann", "age": "30", "topics": ["a", "b"]})
    assert got.json() == {"name": "ann", "age": 30, "topics": ["a", "b"], "newsletter": False}
    bad = client.post("/signup", data={"name": "a", "age": "-1"})
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["errors"]] == [["form", "name"], ["form", "age"]]
    missing = client.post("/signup", data={"name": "ann"})
    assert missing.json()["errors"][0]["loc"] == ["form", "age"]


def test_multipart_files_and_fields() -> None:
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\nReport\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="document"; filename="r.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nhello file\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    client = TestClient(make_app())
    got = client.post(
        "/upload",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert got.json() == {
        "title": "Report",
        "filename": "r.txt",
        "content": "hello file",
        "extra": False,
    }


def test_a_text_field_where_a_file_is_expected_is_422() -> None:
    client = TestClient(make_app())
    got = client.post("/upload", data={"title": "t", "document": "not a file"})
    assert got.status_code == 422
    assert got.json()["errors"][0]["loc"] == ["form", "document"]
    assert got.json()["errors"][0]["msg"] == "Value error, Expected a file upload"
