"""Rendering forms in templates: controls, labels, errors, re-display, escaping, CSRF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from fastcore import App, Request
from fastcore.config import Settings
from fastcore.forms import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    EmailField,
    FileField,
    Form,
    HiddenInput,
    IntegerField,
    MultipleChoiceField,
    PasswordInput,
    Textarea,
)
from fastcore.middleware.csrf import CSRFMiddleware
from fastcore.middleware.sessions import SessionMiddleware
from fastcore.templating import Environment, Markup
from fastcore.testing import TestClient
from tests.security.helpers import SECRET

XSS = '"><script>alert(1)</script>'


class ProfileForm(Form):
    name = CharField(max_length=40, help_text="As on your passport")
    email = EmailField()
    age = IntegerField(required=False, min_value=0)
    bio = CharField(required=False, widget=Textarea(attrs={"rows": 3}))
    subscribe = BooleanField()
    plan = ChoiceField(choices=[("free", "Free <tier>"), ("pro", "Pro")])
    tags = MultipleChoiceField(choices=["a", "b", "c"], required=False)
    born = DateField(required=False)
    secret = CharField(required=False, widget=PasswordInput())
    next_url = CharField(required=False, widget=HiddenInput())
    avatar = FileField(required=False, allowed_extensions=["png"])


def render(source: str, **context: Any) -> str:
    return Environment(autoescape=True).from_string(source).render(context)


def test_unbound_form_shows_initial_values() -> None:
    form = ProfileForm(
        initial={
            "name": "Ada",
            "subscribe": True,
            "tags": ["a", "c"],
            "born": __import__("datetime").date(1815, 12, 10),
        }
    )
    html = render("{{ form.name }}|{{ form.subscribe }}|{{ form.tags }}|{{ form.born }}", form=form)
    assert '<input type="text" name="name" id="id_name" required maxlength="40"' in html
    assert 'value="Ada"' in html
    assert '<input type="checkbox" name="subscribe" value="on" id="id_subscribe" checked>' in html
    assert '<option value="a" selected>a</option><option value="b">b</option>' in html
    assert 'type="date"' in html and 'value="1815-12-10"' in html


def test_label_errors_and_help() -> None:
    form = ProfileForm({"name": "", "email": "x", "plan": "free"})
    html = render(
        "{{ form.name.label }}|{{ form.name.label.text }}|{{ form.name.errors }}|"
        "{% for e in form.email.errors %}[{{ e }}]{% endfor %}",
        form=form,
    )
    assert html.startswith('<label for="id_name">Name</label>|Name|')
    assert '<ul class="errors"><li>This field is required.</li></ul>' in html
    assert "[Enter a valid e-mail address.]" in html
    assert 'aria-invalid="true"' in str(form.name) and "id_name_help" in str(form.name)


def test_failed_post_redisplays_values_escaped_but_never_passwords_or_files() -> None:
    form = ProfileForm(
        {
            "name": XSS,
            "email": "a@example.com",
            "bio": "\n" + XSS,
            "plan": XSS,
            "secret": "hunter2",
            "age": "x" + XSS,
        }
    )
    assert not form.is_valid()
    html = str(form.as_div())
    assert "<script>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "<textarea" in html and ">\n\n&#34;&gt;&lt;script&gt;" in html  # leading newline kept
    assert "hunter2" not in html
    assert 'type="file" name="avatar" id="id_avatar" accept=".png">' in html
    # The invalid choice is echoed in the error message, escaped.
    assert "is not one of them" in html and "&lt;script&gt;" in html
    assert '<option value="free">Free &lt;tier&gt;</option>' in html


def test_as_div_structure_and_hidden_fields() -> None:
    form = ProfileForm({"name": "Ada", "email": "bad", "plan": "pro", "next_url": "/home"})
    html = str(form.as_div())
    assert '<input type="hidden" name="next_url" id="id_next_url" value="/home">' in html
    assert '<div class="field field-email has-error"><label for="id_email">Email</label>' in html
    assert '<ul class="errors" id="id_email_errors"><li>Enter a valid e-mail address.</li>' in html
    assert '<small class="help" id="id_name_help">As on your passport</small>' in html
    assert "csrf_token" not in html  # no CSRF middleware here
    assert form.is_multipart
    # Rendering through a template gives the same markup (it is Markup, not escaped).
    assert render("{{ form.as_div() }}", form=form) == html
    assert render("{{ form }}", form=form) == html


def test_extra_attributes_and_their_names_are_checked() -> None:
    form = ProfileForm()
    html = render(
        '{{ form.name(class_="wide", data_x="1\\"2", placeholder=p) }}', form=form, p="<b>"
    )
    assert 'class="wide"' in html and 'data-x="1&#34;2"' in html
    assert 'placeholder="&lt;b&gt;"' in html
    with pytest.raises(ValueError, match="not an HTML attribute name"):
        form.name.render(**{'onclick="x" a': "1"})


def test_non_field_errors_render_first() -> None:
    class Pair(Form):
        a = CharField()

        def clean(self) -> None:
            raise __import__("fastcore.forms", fromlist=["x"]).ValidationError("Bad <pair>.")

    html = str(Pair({"a": "x"}).as_div())
    assert html.startswith('<ul class="errors"><li>Bad &lt;pair&gt;.</li></ul>')
    assert isinstance(Pair().as_div(), Markup)


@pytest.fixture
def csrf_app(tmp_path: Path) -> App:
    (tmp_path / "form.html").write_text(
        '<form method="post" enctype="multipart/form-data">{{ form.as_div() }}</form>'
        "<p>{{ form.name.value }}</p>"
    )
    app = App(
        settings=Settings(template_folders=[str(tmp_path)]),
        middleware=[(SessionMiddleware, {"secret_key": SECRET}), CSRFMiddleware],
    )

    class NameForm(Form):
        name = CharField(max_length=10)

    @app.route("/form", methods=["GET", "POST"])
    async def page(request: Request) -> Any:
        form = await NameForm.from_request(request)
        if form.is_valid():
            return {"saved": form.name.value}
        return app.render("form.html", form=form, status_code=422 if form.is_bound else 200)

    return app


def test_as_div_includes_the_csrf_field_and_the_round_trip_works(csrf_app: App) -> None:
    client = TestClient(csrf_app)
    page = client.get("/form")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    token = match.group(1)
    from tests.forms.multipart import encode_multipart

    body, headers = encode_multipart(fields=[("csrf_token", token), ("name", "x" * 11)])
    failed = client.post("/form", content=body, headers=headers)
    assert failed.status_code == 422
    assert "Enter at most 10 characters" in failed.text and 'value="xxxxxxxxxxx"' in failed.text
    assert 'name="csrf_token"' in failed.text
    body, headers = encode_multipart(fields=[("csrf_token", token), ("name", "Ada")])
    assert client.post("/form", content=body, headers=headers).json() == {"saved": "Ada"}
    body, headers = encode_multipart(fields=[("name", "Ada")])
    assert client.post("/form", content=body, headers=headers).status_code == 403
