"""Declarative forms: binding, typed cleaning, validators, errors, cross-field clean."""

from __future__ import annotations

import datetime
import decimal
import enum
from typing import Any

import pytest

from fastcore import App, ImproperlyConfigured, Request
from fastcore.datastructures import FormData, QueryParams
from fastcore.forms import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    DateTimeField,
    DecimalField,
    EmailField,
    FileField,
    Form,
    IntegerField,
    MultipleChoiceField,
    ValidationError,
)
from fastcore.testing import TestClient
from fastcore.uploads import UploadFile
from tests.forms.multipart import encode_multipart


class Color(enum.Enum):
    RED = "red"
    DARK_BLUE = "blue"


def no_spam(value: str) -> None:
    if "spam" in value.lower():
        raise ValidationError("No spam, please.")


class SignupForm(Form):
    username = CharField(
        min_length=3,
        max_length=20,
        regex=r"[a-z0-9_]+",
        regex_message="Use lower-case letters, digits and _.",
    )
    email = EmailField()
    age = IntegerField(required=False, min_value=13, max_value=130)
    budget = DecimalField(required=False, max_digits=6, decimal_places=2, min_value=0)
    newsletter = BooleanField()
    born = DateField(required=False, max_value=datetime.date(2020, 1, 1))
    meeting = DateTimeField(required=False)
    plan = ChoiceField(choices=[("free", "Free"), ("pro", "Pro")])
    colors = MultipleChoiceField(choices=Color, required=False)
    bio = CharField(required=False, validators=[no_spam])
    password = CharField(min_length=8)
    password_again = CharField()

    def clean(self) -> None:
        data = self.cleaned_data
        if data.get("password") and data.get("password") != data.get("password_again"):
            raise ValidationError("The two passwords differ.")


VALID = {
    "username": "ada_l",
    "email": "Ada@Example.COM",
    "age": "36",
    "budget": "12.50",
    "newsletter": "on",
    "born": "1815-12-10",
    "meeting": "2026-12-02T10:30",
    "plan": "pro",
    "bio": "Analyst",
    "password": "correct horse",
    "password_again": "correct horse",
}


def test_internationalized_domains_are_accepted() -> None:
    form = SignupForm({**VALID, "email": "ada@Exämple.COM"})
    assert form.is_valid() and form.cleaned_data["email"] == "ada@exämple.com"


def test_a_list_where_one_value_is_expected() -> None:
    assert SignupForm({**VALID, "username": ["a", "b"]}).errors == {
        "username": ["Expected a single text value."]
    }


def test_valid_data_gives_typed_values() -> None:
    form = SignupForm(FormData([*VALID.items(), ("colors", "red"), ("colors", "blue")]))
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["email"] == "Ada@example.com"
    assert data["age"] == 36 and data["budget"] == decimal.Decimal("12.50")
    assert data["newsletter"] is True and data["born"] == datetime.date(1815, 12, 10)
    assert data["meeting"] == datetime.datetime(2026, 12, 2, 10, 30)
    assert data["plan"] == "pro" and data["colors"] == [Color.RED, Color.DARK_BLUE]
    # Typed access through the field descriptors.
    age: int | None = form.age.value
    assert age == 36 and form.born.value == datetime.date(1815, 12, 10)


def test_optional_empty_fields_get_empty_values() -> None:
    minimal = {k: VALID[k] for k in ("username", "email", "plan", "password", "password_again")}
    form = SignupForm(minimal)
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["age"] is None and data["bio"] == "" and data["newsletter"] is False
    assert data["colors"] == [] and data["born"] is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "This field is required."),
        ("username", "   ", "This field is required."),
        ("username", "ab", "Enter at least 3 characters (it has 2)."),
        ("username", "a" * 21, "Enter at most 20 characters (it has 21)."),
        ("username", "Ada!", "Use lower-case letters, digits and _."),
        ("email", "not-an-email", "Enter a valid e-mail address."),
        ("email", "a@b", "Enter a valid e-mail address."),
        ("email", "a@-bad-.com", "Enter a valid e-mail address."),
        ("email", "a..b@example.com", "Enter a valid e-mail address."),
        ("email", "ada@exa\u200bmple.com", "Enter a valid e-mail address."),  # zero-width space
        ("email", "ada@exa\u00admple.com", "Enter a valid e-mail address."),  # soft hyphen
        ("email", "ad\u0430@example.com", "Enter a valid e-mail address."),  # Cyrillic a
        ("email", "ada@exam\nple.com", "Enter a valid e-mail address."),
        ("age", "twelve", "Enter a whole number."),
        ("age", "12", "Enter a value of at least 13."),
        ("age", "1e3", "Enter a whole number."),
        ("age", "\uff11\uff12", "Enter a whole number."),  # fullwidth digits
        ("age", "\u0663\u0664", "Enter a whole number."),  # Arabic-Indic digits
        ("age", "9" * 5000, "Enter a whole number."),
        ("budget", "NaN", "Enter a number."),
        ("budget", "Infinity", "Enter a number."),
        ("budget", "1.234", "Enter a number with at most 2 decimal places."),
        ("budget", "12345.6", "Enter a number with at most 4 digits before the point."),
        ("budget", "1234.567", "Enter a number with at most 2 decimal places."),
        ("budget", "-1", "Enter a value of at least 0."),
        ("born", "10/12/1815", "Enter a valid date (YYYY-MM-DD)."),
        ("born", "2021-01-01", "Enter a value of at most 2020-01-01."),
        ("meeting", "2026-12-02", "Enter a valid date and time (YYYY-MM-DD HH:MM)."),
        ("plan", "enterprise", "Select a valid choice; 'enterprise' is not one of them."),
        ("bio", "Buy SPAM now", "No spam, please."),
        ("bio", "null\x00byte", "Remove the control characters from this text."),
        ("bio", "escape\x1b[31m", "Remove the control characters from this text."),
    ],
)
def test_invalid_values_give_clear_field_errors(field: str, value: str, message: str) -> None:
    form = SignupForm({**VALID, field: value})
    assert not form.is_valid()
    assert form.errors[field] == [message]
    assert field not in form.cleaned_data and form[field].value is None


def test_unknown_multiple_choice_and_cross_field_errors() -> None:
    sent = FormData([*{**VALID, "password_again": "other"}.items(), ("colors", "green")])
    form = SignupForm(sent)
    assert not form.is_valid()
    assert form.errors["colors"] == ["Select a valid choice; 'green' is not one of them."]
    assert form.non_field_errors == ["The two passwords differ."]


def test_several_messages_and_add_error() -> None:
    class Strict(Form):
        code = CharField(min_length=5, regex=r"[0-9]+", regex_message="Digits only.")

        def clean(self) -> None:
            if self.cleaned_data.get("code") == "00000":
                self.add_error("code", "Zero is reserved.")

    form = Strict({"code": "ab"})
    assert form.errors["code"] == ["Enter at least 5 characters (it has 2).", "Digits only."]
    reserved = Strict({"code": "00000"})
    assert not reserved.is_valid() and reserved.errors["code"] == ["Zero is reserved."]
    assert "code" not in reserved.cleaned_data


def test_query_parameters_bind_too() -> None:
    class Search(Form):
        q = CharField(max_length=50)
        tags = MultipleChoiceField(choices=["a", "b"], required=False)

    form = Search(QueryParams("q=fast&tags=a&tags=b"))
    assert form.is_valid() and form.cleaned_data == {"q": "fast", "tags": ["a", "b"]}


def test_unbound_form_is_not_valid_and_has_no_errors() -> None:
    form = SignupForm(initial={"username": "guest"})
    assert not form.is_bound and not form.is_valid() and form.errors == {}


def test_required_checkbox_must_be_ticked() -> None:
    class Terms(Form):
        accept = BooleanField(required=True)

    assert Terms({"accept": "on"}).is_valid()
    for value in ({}, {"accept": ""}, {"accept": "off"}, {"accept": "false"}):
        assert Terms(value).errors == {"accept": ["Tick this box to continue."]}


def test_a_file_where_text_is_expected_and_text_where_a_file_is() -> None:
    class Upload(Form):
        title = CharField()
        document = FileField()

    upload = UploadFile("title", "x.txt")
    try:
        form = Upload(FormData([("title", upload), ("document", "just text")]))
        assert form.errors == {
            "title": ["Expected text, not a file."],
            "document": ['No file was sent; the form needs enctype="multipart/form-data".'],
        }
        assert Upload({"title": "t"}).errors == {"document": ["Choose a file to upload."]}
    finally:
        upload.file.close()


def test_field_names_may_not_shadow_the_form_api() -> None:
    for name in ("errors", "data", "is_valid", "cleaned_data", "_private"):
        with pytest.raises(ImproperlyConfigured, match="cannot be named"):
            type("Bad", (Form,), {name: CharField()})


def test_subclasses_inherit_and_can_drop_fields() -> None:
    class Base(Form):
        a = CharField()
        b = CharField()

    class Child(Base):
        b = None  # type: ignore[assignment]
        c = IntegerField()

    assert list(Child.fields) == ["a", "c"]


def test_disabled_fields_keep_their_initial_value() -> None:
    class Profile(Form):
        username = CharField(disabled=True)
        bio = CharField(required=False)

    form = Profile({"username": "attacker", "bio": "hi"}, initial={"username": "ada"})
    assert form.is_valid() and form.cleaned_data == {"username": "ada", "bio": "hi"}


class UploadForm(Form):
    title = CharField(max_length=50)
    document = FileField(max_size=1000, allowed_extensions={"txt", ".PDF"})


@pytest.fixture
def upload_client() -> TestClient:
    app = App()

    @app.post("/upload")
    async def upload(request: Request) -> Any:
        form = await UploadForm.from_request(request)
        if not form.is_valid():
            return {"errors": form.errors}, 422
        document = form.document.value
        assert document is not None
        return {"title": form.title.value, "name": document.filename, "size": document.size}

    @app.get("/upload")
    async def show(request: Request) -> Any:
        form = await UploadForm.from_request(request)
        return {"bound": form.is_bound}

    return TestClient(app)


def test_file_field_through_a_request(upload_client: TestClient) -> None:
    body, headers = encode_multipart(
        fields=[("title", "Report")], files=[("document", "../../report.txt", b"hello", "x/y")]
    )
    response = upload_client.post("/upload", content=body, headers=headers)
    assert response.json() == {"title": "Report", "name": "report.txt", "size": 5}
    assert upload_client.get("/upload").json() == {"bound": False}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [("document", "evil.exe", b"MZ", "application/pdf")],
            "Upload a file of one of these types: .pdf, .txt.",
        ),
        (
            [("document", "big.txt", b"x" * 1001, "text/plain")],
            "The file is larger than 1000 bytes.",
        ),
        ([("document", "", b"", "application/octet-stream")], "Choose a file to upload."),
        ([], "Choose a file to upload."),
    ],
)
def test_file_field_errors(upload_client: TestClient, files: Any, message: str) -> None:
    body, headers = encode_multipart(fields=[("title", "Report")], files=files)
    response = upload_client.post("/upload", content=body, headers=headers)
    assert response.status_code == 422
    assert response.json() == {"errors": {"document": [message]}}


def test_a_urlencoded_post_to_a_file_form_is_a_field_error(upload_client: TestClient) -> None:
    response = upload_client.post("/upload", data={"title": "x", "document": "C:/x.txt"})
    assert response.status_code == 422
    assert "multipart/form-data" in response.json()["errors"]["document"][0]


def test_a_prefixed_form_reads_renders_and_reports_under_its_prefix() -> None:
    from fastcore.forms import CharField, Form

    class Row(Form):
        title = CharField(max_length=5)

    form = Row({"row-1-title": "toolong", "title": "ok"}, prefix="row-1")
    assert not form.is_valid()
    assert "title" in form.errors  # errors stay keyed by the field's own name
    html = str(form["title"])
    assert 'name="row-1-title"' in html and 'id="id_row-1-title"' in html
    assert Row({"row-1-title": "ok"}, prefix="row-1").is_valid()
    assert not Row({"title": "ok"}, prefix="row-1").is_valid()  # the bare name is not read
