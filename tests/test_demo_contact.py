"""The demo's contact page: a form with several field types and an upload, CSRF-protected."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from fastcore.testing import TestClient
from tests.demo_support import demo_app
from tests.forms.multipart import encode_multipart


@pytest.fixture
def client() -> TestClient:
    return TestClient(demo_app())


def csrf_fields(page: str) -> list[tuple[str, str]]:
    """The CSRF hidden field of a rendered page, when the demo has CSRF on."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return [("csrf_token", match.group(1))] if match else []


VALID = [
    ("name", "Ada Lovelace"),
    ("email", "ada@example.com"),
    ("topic", "bug"),
    ("urgency", "4"),
    ("reply_by", (datetime.date.today() + datetime.timedelta(days=3)).isoformat()),
    ("message", "The engine divides by zero."),
    ("copy_me", "on"),
]


def post(client: TestClient, fields: list[tuple[str, str]], files: Any = ()) -> Any:
    page = client.get("/contact")
    body, headers = encode_multipart(fields=csrf_fields(page.text) + fields, files=files)
    return client.post("/contact", content=body, headers=headers)


def test_the_empty_form_renders_every_field(client: TestClient) -> None:
    page = client.get("/contact")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    for control in (
        'type="email" name="email"',
        '<select name="topic"',
        'type="number"',
        'type="date"',
        "<textarea",
        'type="file" name="attachment"',
        'type="checkbox" name="copy_me"',
    ):
        assert control in page.text
    assert 'value="3"' in page.text  # the urgency's initial value


def test_a_valid_message_with_an_attachment_is_confirmed(client: TestClient) -> None:
    response = post(client, VALID, files=[("attachment", "../../etc/report.txt", b"log", "text/x")])
    assert response.status_code == 200, response.text
    assert "Thank you, Ada Lovelace" in response.text and "a bug report" in response.text
    assert "Attachment: report.txt (3 bytes; declared as text/x)" in response.text
    assert "A copy is on its way" in response.text


def test_invalid_input_is_shown_again_escaped_with_errors(client: TestClient) -> None:
    bad = dict(VALID)
    bad.update(
        name='<script>alert("x")</script>',
        email="nope",
        urgency="9",
        reply_by="2000-01-01",
        message="short",
    )
    response = post(
        client, list(bad.items()), files=[("attachment", "virus.exe", b"MZ", "application/pdf")]
    )
    assert response.status_code == 422
    text = response.text
    assert "<script>alert" not in text and "&lt;script&gt;alert(&#34;x&#34;)" in text
    for message in (
        "Enter a valid e-mail address.",
        "Enter a value of at most 5.",
        "Pick a date that is not in the past.",
        "Enter at least 10 characters (it has 5).",
        "Upload a file of one of these types: .jpg, .pdf, .png, .txt.",
    ):
        assert message in text
    assert 'value="nope"' in text and csrf_fields(text) == csrf_fields(text)[:1]


def test_cross_field_rule_and_oversized_upload(client: TestClient) -> None:
    praise = [(k, "praise" if k == "topic" else "5" if k == "urgency" else v) for k, v in VALID]
    response = post(client, praise)
    assert response.status_code == 422 and "Praise is never urgent" in response.text
    huge = post(client, VALID, files=[("attachment", "big.txt", b"x" * 1_200_000, "text/plain")])
    assert huge.status_code == 413
