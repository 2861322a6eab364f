"""Errors name the template and the line: syntax errors and runtime errors."""

from __future__ import annotations

import traceback

import pytest

from fastcore.templating import (
    DictLoader,
    Environment,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)

TEMPLATES = {
    "page.html": "<h1>{{ title }}</h1>\n{% include 'broken.html' %}\n",
    "broken.html": "ok\nstill ok\n{% if x %}\n{{ foo( }}\n{% endif %}",
    "unclosed.html": "a\n{% for x in y %}\nb",
    "runtime.html": "line 1\nline 2\n{{ 1 // zero }}\n",
    "macro_err.html": "{% macro m(u) %}\n\n{{ u.name.first }}{% endmacro %}\n{{ m(none) }}",
    "child.html": "{% extends 'base.html' %}\n{% block body %}\n\n{{ missing.attr }}{% endblock %}",
    "base.html": "<body>{% block body %}{% endblock %}</body>",
    "includes_missing.html": "x\n{% include 'nowhere.html' %}",
    "unknown_tag.html": "\n\n{% frobnicate %}",
}


def _env(**options: object) -> Environment:
    return Environment(loader=DictLoader(TEMPLATES), **options)  # type: ignore[arg-type]


def test_syntax_error_in_included_template_names_that_file() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        _env().get_template("page.html").render(title="t")
    error = info.value
    assert error.name == "broken.html"
    assert error.lineno == 4
    assert 'File "broken.html", line 4' in str(error)
    assert "{{ foo( }}" in str(error)


def test_unclosed_block_reports_what_was_expected() -> None:
    with pytest.raises(TemplateSyntaxError, match="'endfor' or 'else'") as info:
        _env().get_template("unclosed.html")
    assert info.value.name == "unclosed.html"


def test_unknown_tag_line() -> None:
    with pytest.raises(TemplateSyntaxError, match="unknown tag 'frobnicate'") as info:
        _env().get_template("unknown_tag.html")
    assert info.value.lineno == 3


def _template_frames(exc: BaseException) -> list[tuple[str, int, str]]:
    return [
        (frame.filename, frame.lineno or 0, frame.name)
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename.endswith(".html")
    ]


def test_runtime_error_traceback_points_at_the_template_line() -> None:
    with pytest.raises(ZeroDivisionError) as info:
        _env().get_template("runtime.html").render(zero=0)
    assert _template_frames(info.value) == [("runtime.html", 3, "template")]
    assert '(rendering template "runtime.html", line 3)' in info.value.__notes__


def test_error_inside_macro_shows_call_and_macro_lines() -> None:
    with pytest.raises(UndefinedError, match="'None' has no attribute 'name'") as info:
        _env().get_template("macro_err.html").render()
    assert _template_frames(info.value) == [
        ("macro_err.html", 4, "template"),
        ("macro_err.html", 3, "macro"),
    ]


def test_error_inside_inherited_block() -> None:
    with pytest.raises(UndefinedError, match="'missing' is undefined") as info:
        _env().get_template("child.html").render()
    assert ("child.html", 4, "block 'body'") in _template_frames(info.value)


def test_missing_include_raises_not_found() -> None:
    with pytest.raises(TemplateNotFound, match="nowhere.html"):
        _env().get_template("includes_missing.html").render()


def test_syntax_error_pickles() -> None:
    import pickle

    error = TemplateSyntaxError("bad", 3, "a.html", "/t/a.html")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.lineno, copy.name, copy.filename) == (
        "bad",
        3,
        "a.html",
        "/t/a.html",
    )


# Found by tests/fuzz/templates.py: nesting past the parser's, the code
# generator's or Python's own limits escaped as RecursionError or SyntaxError.
@pytest.mark.parametrize(
    ("source", "lineno"),
    [
        ("x\n{{ " + "(" * 400 + "1" + ")" * 400 + " }}", 2),
        ("\n\n{{ " + "[" * 400 + "]" * 400 + " }}", 3),
        ("{{ 1" + " + 1" * 3000 + " }}", 1),
        ("{{ a" + ".b" * 3000 + " }}", 1),
        ("{% for x in y %}\n" * 21 + "{% endfor %}" * 21, 21),
        ("{% if a %}\n" * 120 + "{% endif %}" * 120, None),
    ],
)
def test_too_deep_nesting_is_a_syntax_error_with_a_line(source: str, lineno: int | None) -> None:
    with pytest.raises(TemplateSyntaxError, match="nests too deeply") as info:
        Environment().from_string(source)
    assert 1 <= info.value.lineno <= source.count("\n") + 1
    if lineno is not None:
        assert info.value.lineno == lineno
