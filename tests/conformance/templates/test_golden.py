"""Golden tests: every case rendered by fastcore and by Jinja2 must be byte-identical."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from fastcore import templating
from tests.conformance.templates.golden_cases import CASES, CONTEXT, FILE_CASES, TEMPLATES

OPTIONS = [
    {},
    {"trim_blocks": True},
    {"lstrip_blocks": True},
    {"trim_blocks": True, "lstrip_blocks": True},
]


def _environments(templates: dict[str, str], **options: Any) -> tuple[Any, Any]:
    ours = templating.Environment(loader=templating.DictLoader(templates), **options)
    oracle = jinja2.Environment(
        loader=jinja2.DictLoader(templates), autoescape=jinja2.select_autoescape(), **options
    )
    return ours, oracle


def _outcome(render: Any) -> tuple[str, str]:
    try:
        return ("ok", render())
    except Exception as exc:  # the oracle and fastcore must fail alike too
        return ("error", type(exc).__name__)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "default")
@pytest.mark.parametrize("suffix", [".html", ".txt"])
@pytest.mark.parametrize(("case_id", "source", "extra"), CASES, ids=[case[0] for case in CASES])
def test_case_matches_jinja(
    case_id: str, source: str, extra: dict[str, Any], suffix: str, options: dict[str, bool]
) -> None:
    name = case_id + suffix
    ours, oracle = _environments({**TEMPLATES, name: source}, **options)
    context = {**CONTEXT, **extra}
    expected = _outcome(lambda: oracle.get_template(name).render(context))
    assert expected[0] == "ok", expected
    assert _outcome(lambda: ours.get_template(name).render(context)) == expected


@pytest.mark.parametrize(
    ("case_id", "name", "source", "extra"), FILE_CASES, ids=[case[0] for case in FILE_CASES]
)
def test_file_case_matches_jinja(
    case_id: str, name: str, source: str, extra: dict[str, Any]
) -> None:
    templates = dict(TEMPLATES)
    if source:
        templates[name] = source
    ours, oracle = _environments(templates)
    context = {**CONTEXT, **extra}
    expected = oracle.get_template(name).render(context)
    assert ours.get_template(name).render(context) == expected


@pytest.mark.parametrize(("case_id", "source", "extra"), CASES[:40], ids=[c[0] for c in CASES[:40]])
def test_from_string_matches_jinja(case_id: str, source: str, extra: dict[str, Any]) -> None:
    ours, oracle = _environments({})
    context = {**CONTEXT, **extra}
    assert ours.from_string(source).render(**context) == oracle.from_string(source).render(
        **context
    )


UNDEFINED_ERRORS = [
    ("{{ x[3].y }}", "lenient"),
    ("{{ x.nope.y }}", "lenient"),
    ("{{ none.a.b }}", "lenient"),
    ("{{ missing.attr }}", "lenient"),
    ("{{ missing + 1 }}", "lenient"),
    ("{{ missing() }}", "lenient"),
    ("{{ missing }}", "strict"),
    ("{% for i in missing %}{% endfor %}", "strict"),
    ("{% if missing %}{% endif %}", "strict"),
    ("{{ x.nope }}", "strict"),
    ("{{ ('a' if false).x }}", "strict"),
]


@pytest.mark.parametrize(("source", "mode"), UNDEFINED_ERRORS)
def test_undefined_errors_have_jinjas_message(source: str, mode: str) -> None:
    oracle = jinja2.Environment(
        undefined=jinja2.StrictUndefined if mode == "strict" else jinja2.Undefined
    )
    ours = templating.Environment(undefined=mode)
    with pytest.raises(jinja2.UndefinedError) as expected:
        oracle.from_string(source).render(x={})
    with pytest.raises(templating.UndefinedError) as actual:
        ours.from_string(source).render(x={})
    assert str(actual.value) == str(expected.value)


@pytest.mark.parametrize(("case_id", "source", "extra"), CASES, ids=[case[0] for case in CASES])
def test_case_matches_jinja_with_strict_undefined(
    case_id: str, source: str, extra: dict[str, Any]
) -> None:
    name = case_id + ".html"
    templates = {**TEMPLATES, name: source}
    ours = templating.Environment(loader=templating.DictLoader(templates), undefined="strict")
    oracle = jinja2.Environment(
        loader=jinja2.DictLoader(templates),
        autoescape=jinja2.select_autoescape(),
        undefined=jinja2.StrictUndefined,
    )
    context = {**CONTEXT, **extra}
    expected = _outcome(lambda: oracle.get_template(name).render(context))
    assert _outcome(lambda: ours.get_template(name).render(context)) == expected
