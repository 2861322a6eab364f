"""Generated templates: random compositions of the supported syntax, fastcore vs Jinja2."""

from __future__ import annotations

from typing import Any

import jinja2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastcore import templating

VALUES: dict[str, Any] = {
    "n": 7,
    "z": 0,
    "f": 2.5,
    "s": "a<b>&'\"",
    "t": "Hello World",
    "xs": [3, 1, 2],
    "d": {"k": "v", "a": 1},
    "none": None,
    "yes": True,
}

LEAVES = st.sampled_from(
    ["n", "z", "f", "s", "t", "xs", "d", "none", "yes", "missing", "1", "'x'", "2.0", "[1, 2]",
     "d.k", "d['a']", "xs[0]", "xs|length", "t|upper", "s|e", "s|safe", "missing|default('m')",
     "loop.index"]
)  # fmt: skip
BINARY = st.sampled_from(["+", "-", "*", "~", "==", "!=", "<", "and", "or", "in", "//", "%"])
FILTERS = st.sampled_from(
    ["upper", "lower", "length", "string", "list", "first", "join(',')", "default('d')",
     "e", "safe", "title", "trim", "reverse|list", "sort", "int", "abs", "tojson", "truncate(5)"]
)  # fmt: skip
TESTS = st.sampled_from(["defined", "none", "string", "number", "odd", "iterable", "mapping"])


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, BINARY, inner).map(lambda p: f"({p[0]} {p[1]} {p[2]})"),
            st.tuples(inner, FILTERS).map(lambda p: f"{p[0]}|{p[1]}"),
            st.tuples(inner, TESTS).map(lambda p: f"({p[0]} is {p[1]})"),
            st.tuples(inner, inner, inner).map(lambda p: f"({p[0]} if {p[1]} else {p[2]})"),
            inner.map(lambda e: f"(not {e})"),
        )

    return st.recursive(LEAVES, extend, max_leaves=4)


EXPRESSIONS = _expressions()
NAMES = st.sampled_from(["n", "s", "v", "w"])
SIGNS = st.sampled_from(["-", "", "+"])
ITERABLES = st.sampled_from(["xs", "t", "d", "missing", "range(3)"])


def _statements() -> st.SearchStrategy[str]:
    text = st.sampled_from(
        ["x", " ", "\n", "  \n  ", "\t", "<p>", "&", "{# c #}", "{#- c -#}", "  {#+ c +#}\n",
         "{% raw %}{{ x }}{% endraw %}", "  {%- raw -%} {{ y }} {% endraw %}\n"]
    )  # fmt: skip
    output = EXPRESSIONS.map(lambda e: "{{ " + e + " }}")
    trimmed = EXPRESSIONS.map(lambda e: "{{- " + e + " -}}")
    assign = st.tuples(NAMES, EXPRESSIONS).map(lambda p: "{% set " + p[0] + " = " + p[1] + " %}")
    leaf = st.one_of(text, output, trimmed, assign)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        body = st.lists(inner, min_size=0, max_size=3).map("".join)
        return st.one_of(
            st.tuples(EXPRESSIONS, body, body).map(
                lambda p: "{% if " + p[0] + " %}" + p[1] + "{% else %}" + p[2] + "{% endif %}"
            ),
            st.tuples(NAMES, ITERABLES, body, body).map(
                lambda p: "{% for " + p[0] + " in " + p[1] + " %}" + p[2]
                + "{% else %}" + p[3] + "{% endfor %}"
            ),
            st.tuples(NAMES, EXPRESSIONS, body).map(
                lambda p: "{% with " + p[0] + " = " + p[1] + " %}" + p[2] + "{% endwith %}"
            ),
            st.tuples(body, body).map(
                lambda p: "{% macro m(v, w=2) %}" + p[0] + "{% endmacro %}" + p[1] + "{{ m(s) }}"
            ),
            st.tuples(EXPRESSIONS, body).map(
                lambda p: "{% macro wrap(x) %}<{{ x }}>{{ caller(x) }}{% endmacro %}"
                + "{% call(y) wrap(" + p[0] + ") %}" + p[1] + "{{ y }}{% endcall %}"
            ),
            st.tuples(NAMES, body).map(
                lambda p: "{% for " + p[0] + " in xs %}{{ loop.index }}{{ loop.last }}"
                + "{{ loop.cycle('a', 'b') }}{% include 'inc.html' %}" + p[1] + "{% endfor %}"
            ),
            body.map(lambda b: "{% filter upper %}" + b + "{% endfilter %}"),
            body.map(lambda b: "{% set v %}" + b + "{% endset %}{{ v }}"),
            st.tuples(EXPRESSIONS, body).map(
                lambda p: "{% import 'lib.html' as lib %}{{ lib.hi(" + p[0] + ") }}{{ lib.top }}"
                + "{% from 'lib.html' import hi %}" + p[1] + "{{ hi(n) }}"
            ),
            body.map(
                lambda b: "{% for x in [[1, [2]], 3] recursive %}{% if x is iterable %}"
                + "{{ loop(x) }}{% else %}" + b + "{{ x }}{{ loop.depth }}{% endif %}{% endfor %}"
            ),
            st.tuples(SIGNS, body, SIGNS).map(
                lambda p: "{%" + p[0] + " if yes " + p[2] + "%}" + p[1] + "{% endif %}"
            ),
        )  # fmt: skip

    return st.lists(st.recursive(leaf, extend, max_leaves=6), max_size=5).map("".join)


INCLUDED = {
    "inc.html": "[{{ n }}{{ v }}{{ loop.index }}]",
    "lib.html": "{% macro hi(x) %}<{{ x }}>{% endmacro %}{% set top = 'T' %}",
    "base.html": (
        "<b>{% block a %}A{{ n }}{% endblock %}|{% block b %}{% for i in xs %}"
        "{% block c scoped %}{{ i }}{% endblock %}{% endfor %}{% endblock %}</b>"
    ),
}


def _render(environment: Any, name: str) -> tuple[str, str]:
    try:
        template = environment.get_template(name)
        return ("ok", template.render(VALUES))
    except Exception as exc:
        return ("error", type(exc).__name__)


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    source=_statements(),
    name=st.sampled_from(["g.html", "g.txt"]),
    options=st.fixed_dictionaries({"trim_blocks": st.booleans(), "lstrip_blocks": st.booleans()}),
    strict=st.booleans(),
)
def test_generated_template_matches_jinja(
    source: str, name: str, options: dict[str, bool], strict: bool
) -> None:
    loader = {**INCLUDED, name: source}
    oracle = jinja2.Environment(
        loader=jinja2.DictLoader(loader),
        autoescape=jinja2.select_autoescape(),
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
        **options,
    )
    ours = templating.Environment(
        loader=templating.DictLoader(loader), undefined="strict" if strict else "lenient", **options
    )
    assert _render(ours, name) == _render(oracle, name)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    prelude=_statements(),
    block_a=_statements(),
    block_c=_statements(),
    use_super=st.booleans(),
    name=st.sampled_from(["child.html", "child.txt"]),
)
def test_generated_child_template_matches_jinja(
    prelude: str, block_a: str, block_c: str, use_super: bool, name: str
) -> None:
    source = (
        "{% extends 'base.html' %}" + prelude
        + "{% block a %}" + block_a + ("{{ super() }}" if use_super else "") + "{% endblock %}"
        + "{% block c %}" + block_c + "{{ i }}{% endblock %}"
    )  # fmt: skip
    loader = {**INCLUDED, name: source}
    oracle = jinja2.Environment(
        loader=jinja2.DictLoader(loader), autoescape=jinja2.select_autoescape()
    )
    ours = templating.Environment(loader=templating.DictLoader(loader))
    assert _render(ours, name) == _render(oracle, name)
