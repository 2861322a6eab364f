"""Jinja parity (issue 21): each feature rendered by fastcore and by Jinja2, the oracle.
A case passes when both engines give the same text, or fail with the same
exception class.
"""

# ruff: noqa: E501 - each case is one template source; splitting them hurts reading.

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pytest

from fastcore import templating

TEMPLATES = {
    "base.html": "B[{% block x %}base{% endblock %}]",
    "other.html": "O[{% block x %}other{% endblock %}]",
    "m.html": "{% macro a() %}A{{ g }}{{ v }}{% endmacro %}{% macro b() %}B{% endmacro %}",
}


def _outcome(render: Callable[[], str]) -> tuple[str, str]:
    try:
        return ("ok", render())
    except Exception as exc:  # both engines must fail alike
        return ("error", type(exc).__name__)


def _both(
    source: str, context: dict[str, Any] | None = None, **options: Any
) -> tuple[tuple[str, str], tuple[str, str]]:
    """Render ``source`` (as t.html) with Jinja2 and fastcore; return both outcomes."""
    results = []
    for module in (jinja2, templating):
        loader = module.DictLoader({**TEMPLATES, "t.html": source})  # type: ignore[attr-defined]
        env = module.Environment(loader=loader, **options)  # type: ignore[attr-defined]
        env.globals["g"] = "G"
        results.append(_outcome(lambda env=env: env.get_template("t.html").render(context or {})))
    return results[0], results[1]


def _assert_same(source: str, context: dict[str, Any] | None = None, **options: Any) -> str:
    oracle, ours = _both(source, context, **options)
    assert ours == oracle
    return oracle[1]


URLIZE_TEXTS = [
    "see http://example.com and www.x.org <b> foo@bar.com",
    "(https://example.com/a_(b)) and <http://x.org/>. done, www.python.org.",
    "mailto:me@example.com mailto:nope example.org example.museum @a@b a@b.c",
    "http://127.0.0.1:8000/path?q=1#f https://[2001:db8::1]/ http://999.1.1.1",
    "ftp://files.example.com tel:+123 xmpp:someone@example.com",
    "&lt;http://x.org&gt; 'quoted http://q.org' \"http://d.org\"",
]


@pytest.mark.parametrize("autoescape", [False, True])
@pytest.mark.parametrize("text", URLIZE_TEXTS)
@pytest.mark.parametrize(
    "call",
    [
        "urlize",
        "urlize(15)",
        "urlize(trim_url_limit=10, nofollow=true)",
        "urlize(target='_blank', rel='noreferrer')",
        "urlize(extra_schemes=['ftp://', 'tel:'])",
    ],
)
def test_urlize_matches_jinja(text: str, call: str, autoescape: bool) -> None:
    rendered = _assert_same("{{ text|" + call + " }}", {"text": text}, autoescape=autoescape)
    if text is URLIZE_TEXTS[0]:
        assert rendered.count("<a href") == 3


def test_set_block_filter_output_is_not_trusted_unlike_jinja() -> None:
    # Jinja marks a filtered set block safe, so striptags' unescaping turns
    # "&lt;script&gt;" into live markup. fastcore escapes the filter's result.
    source = "{% set x | striptags %}<p>&lt;script&gt;</p>{% endset %}{{ x }}"
    rendered = templating.Environment().from_string(source).render()
    assert rendered == "&lt;script&gt;"
    assert jinja2.Environment(autoescape=True).from_string(source).render() == "<script>"


def test_urlize_policies_and_bad_scheme_match_jinja() -> None:
    results = []
    for module in (jinja2, templating):
        env = module.Environment(autoescape=True)  # type: ignore[attr-defined]
        env.policies["urlize.rel"] = "ugc"
        env.policies["urlize.target"] = "_top"
        env.policies["urlize.extra_schemes"] = ["tel:"]
        template = env.from_string("{{ t|urlize }}|{{ t|urlize(rel='me', target='x') }}")
        results.append(template.render(t="tel:123 http://a.org <i>"))
        bad = env.from_string("{{ 'x'|urlize(extra_schemes=['no spaces:']) }}")
        results.append(_outcome(bad.render)[0])
    assert results[0:2] == results[2:4]
    assert results[1] == "error"


@pytest.mark.parametrize("autoescape", [False, True])
@pytest.mark.parametrize(
    "source",
    [
        "{% filter upper %}hello {{ x }}{% endfilter %}",
        "{% filter upper|replace('A', 'b') %}a<{{ x }}{% endfilter %}",
        "{% filter truncate(9, true) %}{% for i in range(5) %}{{ i }}, {% endfor %}{% endfilter %}",
        "{% filter indent(2, true) %}a\nb{% endfilter %}",
        "{% set x | upper | trim %} hi {{ y }} {% endset %}[{{ x }}]",
        "{% set x | striptags %}<b>bold</b> text{% endset %}{{ x }}",
        "{% set ns = namespace() %}{% set ns.t | upper %}in ns{% endset %}{{ ns.t }}",
    ],
)
def test_filter_blocks_match_jinja(source: str, autoescape: bool) -> None:
    _assert_same(source, {"x": "<a>", "y": "&"}, autoescape=autoescape)


@pytest.mark.parametrize(
    "source",
    [
        "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}",
        "{% set ns = namespace(a=1) %}{% set ns.a, ns.b = 3, 4 %}{{ ns.a }}{{ ns.b }}",
        "{% set ns = namespace() %}{% set x, ns.b = 5, 6 %}{{ x }}{{ ns.b }}",
        "{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}"
        "{% endfor %}{{ ns.n }}",
        "{% set ns = namespace(x=0) %}{% for ns.x in [1, 2] %}{% endfor %}",
        "{% set d = {} %}{% set d.a = 1 %}",
    ],
)
def test_namespace_forms_match_jinja(source: str) -> None:
    _assert_same(source)


@pytest.mark.parametrize(
    "source",
    [
        "{{ {'b': '<x>', 'a': [1, \"'&\"]}|tojson }}",
        "{{ {'b': 1, 'a': [1]}|tojson(2) }}",
        "{{ data|tojson }}",
    ],
)
def test_tojson_matches_jinja(source: str) -> None:
    _assert_same(source, {"data": {"z": None, "y": "</script>"}}, autoescape=True)


def test_tojson_uses_the_dumps_policies_like_jinja() -> None:
    def dumps(value: Any, **options: Any) -> str:
        return "custom:" + json.dumps(value, **options)

    rendered = []
    for module in (jinja2, templating):
        env = module.Environment(autoescape=True)  # type: ignore[attr-defined]
        env.policies["json.dumps_function"] = dumps
        env.policies["json.dumps_kwargs"] = {"sort_keys": False, "separators": (",", ":")}
        rendered.append(
            env.from_string("{{ v|tojson }}|{{ v|tojson(1) }}").render(v={"b": 1, "a": "<"})
        )
    assert rendered[0] == rendered[1]
    assert rendered[1].startswith('custom:{"b":1,"a":"\\u003c"}')


@pytest.mark.parametrize("autoescape", [False, True])
@pytest.mark.parametrize(
    "call", ["indent", "indent(2, true)", "indent('> ', true, true)", "indent(first=true)"]
)
def test_indent_keeps_markup_safe_like_jinja(call: str, autoescape: bool) -> None:
    text = markupsafe.Markup("a\n<b>\n\nc\n")
    rendered = _assert_same("{{ text|" + call + " }}", {"text": text}, autoescape=autoescape)
    assert "<b>" in rendered


@pytest.mark.parametrize(
    "source",
    [
        "{% if false %}{{ x|nosuchfilter }}{% endif %}ok",
        "{% if true %}{{ x|nosuchfilter }}{% endif %}ok",
        "{% if false %}{{ x is nosuchtest }}{% elif false %}{{ x|nope }}{% else %}e{% endif %}",
        "{{ x|nope if false else 'inline' }}",
        "{% if 'nope' is filter %}{{ x|nope }}{% else %}no filter{% endif %}",
        "{{ x|nosuchfilter }}",
        "{% if false %}{% for i in x %}{{ i|nope }}{% endfor %}{% endif %}",
    ],
)
def test_unknown_filters_and_tests_fail_as_in_jinja(source: str) -> None:
    _assert_same(source, {"x": [1]})


@pytest.mark.parametrize(
    "source",
    [
        "{% macro m(a, b=a * 2, c=b + 1) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(3) }}|{{ m(3, 1) }}",
        "{% macro m(a, b=a|upper) %}{{ b }}{% endmacro %}{{ m('x') }}{{ m('x', b='y') }}",
        "{% set a = 'outer' %}{% macro m(b=a) %}{{ b }}{% endmacro %}{{ m() }}",
    ],
)
def test_macro_defaults_see_earlier_arguments_like_jinja(source: str) -> None:
    _assert_same(source)


def test_hundreds_of_elif_compile_and_render_like_jinja() -> None:
    # 1500 branches, each assigning: the scope analysis walks the chain
    # without recursing once per elif.
    branches = "".join(f"{{% elif x == {i} %}}{{% set y = {i} %}}{i}" for i in range(1, 1500))
    source = "{% if x == 0 %}0" + branches + "{% else %}none{% endif %}[{{ y }}]"
    oracle = jinja2.Environment().from_string(source)
    ours = templating.Environment().from_string(source)
    for value in (0, 700, 1499, 2000):
        assert ours.render(x=value) == oracle.render(x=value)


@pytest.mark.parametrize(
    "source",
    [
        "{% extends 'base.html' %}{% extends 'other.html' %}{% block x %}c{% endblock %}",
        "{% if true %}{% extends 'base.html' %}{% endif %}{% extends 'other.html' %}",
        "{% if false %}{% extends 'base.html' %}{% endif %}{% extends 'other.html' %}",
    ],
)
def test_extends_twice_behaves_like_jinja(source: str) -> None:
    _assert_same(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% import 'm.html' as m with context %}{{ m.a() }}",
        "{% import 'm.html' as m %}{{ m.a() }}",
        "{% from 'm.html' import a with context %}{{ a() }}",
        "{% from 'm.html' import a, with context %}{{ a() }}",
        "{% from 'm.html' import a, b without context %}{{ a() }}{{ b() }}",
        "{% from 'm.html' import a as x, b %}{{ x() }}{{ b() }}",
        "{% from 'm.html' import a, b, %}{{ a() }}",
        "{% from 'm.html' import a as x, %}",
        "{% from 'm.html' import %}",
        "{% from 'm.html' import a b %}",
    ],
)
def test_imports_and_their_comma_rules_match_jinja(source: str) -> None:
    _assert_same(source, {"v": "V"})


@pytest.mark.parametrize(
    "source",
    [
        "{% for loop in [1] %}{% endfor %}",
        "{% for x in [1] %}{% set loop = 1 %}{% endfor %}",
        "{% for x in [1] %}{% for loop, y in [(1, 2)] %}{% endfor %}{% endfor %}",
        "{% set loop = 2 %}{{ loop }}",
    ],
)
def test_assigning_to_loop_matches_jinja(source: str) -> None:
    _assert_same(source)


def test_pass_context_callables_see_loop_and_block_variables_like_jinja() -> None:
    def show(context: Any, name: str) -> str:
        return repr(context.get(name))

    rendered = []
    for module in (jinja2, templating):
        templates = {
            "page": "{% for x in [1, 2] %}{{ show('y') }}{% set y = x * 10 %}{{ show('x') }}{{ show('y') }}"
            "{% if x %}{% set z = 'z' %}{{ show('z') }}{% endif %}{% endfor %}"
            "{% set top = 3 %}{{ show('top') }}{% block a %}{% set q = 5 %}{{ show('q') }}"
            "{% endblock %}",
        }
        env = module.Environment(loader=module.DictLoader(templates))  # type: ignore[attr-defined]
        env.globals["show"] = module.pass_context(show)  # type: ignore[attr-defined]
        rendered.append(env.get_template("page").render())
    assert rendered[0] == rendered[1]
    assert "10" in rendered[1] and "5" in rendered[1]


@pytest.mark.parametrize(
    "source",
    [
        "<ul>\n# for x in xs:\n  <li>{{ x }}</li> ## the item\n# endfor\n</ul>\n## last\nend",
        "# for x in [1,\n  2]\n{{ x }}\n# endfor\n\n\nafter",
        "a # b\n  # if true\nyes\n  # endif\n",
        "text {# c #} ## hidden\nnext ## also hidden",
        "# set x = 1\n{{ x }}{% if x %}tag{% endif %}\n# macro m(a):\n[{{ a }}]\n# endmacro\n{{ m(2) }}",
    ],
)
@pytest.mark.parametrize("trim_blocks", [False, True])
def test_line_statements_and_comments_match_jinja(source: str, trim_blocks: bool) -> None:
    _assert_same(
        source,
        {"xs": [1, 2]},
        line_statement_prefix="#",
        line_comment_prefix="##",
        trim_blocks=trim_blocks,
    )


def test_line_comment_prefix_alone_and_a_longer_statement_prefix() -> None:
    _assert_same("a ## c\n%% if true\nb\n%% endif", line_comment_prefix="##")
    _assert_same("%% for i in range(2)\n{{ i }}\n%% endfor\n", line_statement_prefix="%%")


def test_undefined_variants_match_jinja() -> None:
    source = "[{{ missing }}][{{ obj.nope }}][{{ a.b.c|default('d') }}][{{ a.b.c }}]"
    for name in ("ChainableUndefined", "DebugUndefined"):
        results = []
        for module in (jinja2, templating):
            env = module.Environment(undefined=getattr(module, name))  # type: ignore[attr-defined]
            results.append(_outcome(lambda env=env: env.from_string(source).render(obj=object())))
        assert results[0] == results[1], name
    chain = templating.Environment(undefined=templating.ChainableUndefined)
    assert chain.from_string("{{ a.b['c'].d }}|{{ a.b|default('x') }}").render() == "|x"
    debug = templating.Environment(undefined=templating.DebugUndefined)
    assert debug.from_string("{{ user }}").render() == "{{ user }}"
    with pytest.raises(templating.UndefinedError):
        debug.from_string("{{ user + 1 }}").render()


def test_logging_undefined_logs_like_jinja(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("parity.undefined")
    undefined = templating.make_logging_undefined(logger)
    env = templating.Environment(undefined=undefined)
    with caplog.at_level(logging.WARNING, logger="parity.undefined"):
        assert env.from_string("[{{ who }}]{% for x in who %}{% endfor %}").render() == "[]"
        with pytest.raises(templating.UndefinedError):
            env.from_string("{{ who.name }}").render()
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "Template variable warning: 'who' is undefined"
    assert "Template variable error: 'who' is undefined" in messages
    strict = templating.make_logging_undefined(logger, templating.StrictUndefined)
    with pytest.raises(templating.UndefinedError):
        templating.Environment(undefined=strict).from_string("{{ who }}").render()
    assert strict.__name__ == "LoggingStrictUndefined"


def test_is_undefined() -> None:
    env = templating.Environment()

    def fallback(value: Any) -> Any:
        return "fallback" if templating.is_undefined(value) else value

    env.filters["fallback"] = fallback
    assert env.from_string("{{ a|fallback }} {{ 1|fallback }}").render() == "fallback 1"
    assert templating.is_undefined(templating.ChainableUndefined())
    assert not templating.is_undefined(None)


def test_prefix_loader_matches_jinja() -> None:
    sources = {"app": {"page.html": "{% extends 'lib/base.html' %}{% block b %}app{% endblock %}"},
               "lib": {"base.html": "<{% block b %}{% endblock %}>"}}  # fmt: skip
    rendered = []
    for module in (jinja2, templating):
        loader = module.PrefixLoader({k: module.DictLoader(v) for k, v in sources.items()})  # type: ignore[attr-defined]
        env = module.Environment(loader=loader)  # type: ignore[attr-defined]
        rendered.append(env.get_template("app/page.html").render())
        rendered.append(sorted(env.list_templates()))
        for missing in ("nope/page.html", "app/nope.html", "noprefix"):
            with pytest.raises(module.TemplateNotFound) as info:  # type: ignore[attr-defined]
                env.get_template(missing)
            rendered.append(info.value.name)
    assert rendered[: len(rendered) // 2] == rendered[len(rendered) // 2 :]
    colon = templating.PrefixLoader({"a": templating.DictLoader({"x": "X"})}, delimiter=":")
    assert templating.Environment(loader=colon).get_template("a:x").render() == "X"


def test_template_shortcut() -> None:
    assert templating.Template("Hello {{ name }}!").render(name="<World>") == "Hello &lt;World&gt;!"
    plain = templating.Template("Hello {{ name }}!", autoescape=False)
    assert plain.render(name="<W>") == jinja2.Template("Hello {{ name }}!").render(name="<W>")
    assert templating.Template("{{ x }}", autoescape=False).environment is plain.environment
    with pytest.raises(TypeError):
        templating.Template(templating.Environment(), "x", None, None, None, autoescape=True)  # type: ignore[call-overload]


def test_auto_reload_picks_up_changed_parents_and_includes(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text("base1[{% block b %}{% endblock %}]")
    (tmp_path / "part.html").write_text("part1")
    (tmp_path / "page.html").write_text(
        "{% extends 'base.html' %}{% block b %}{% include 'part.html' %}{% endblock %}"
    )
    env = templating.Environment(loader=templating.FileSystemLoader(tmp_path), auto_reload=True)
    page = env.get_template("page.html")
    assert page.render() == "base1[part1]"
    for name, text in (("base.html", "base2({% block b %}{% endblock %})"), ("part.html", "part2")):
        path = tmp_path / name
        path.write_text(text)
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    # The cached page is unchanged; the parent and the include it uses are not.
    assert env.get_template("page.html") is page
    assert page.render() == "base2(part2)"
    frozen = templating.Environment(loader=templating.FileSystemLoader(tmp_path))
    assert frozen.get_template("page.html").render() == "base2(part2)"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("a\n{% if x\n\nb\nc", 2),
        ("a\n\n{{ x\n\nb", 3),
        ("a\n{% if x %}\n\nb\nc", 2),
        ("{% for x in y %}\n{% if x %}\n", 2),
    ],
)
def test_unterminated_tag_reports_the_line_it_opened_on(source: str, line: int) -> None:
    with pytest.raises(templating.TemplateSyntaxError) as info:
        templating.Environment().from_string(source)
    assert info.value.lineno == line
    assert f"line {line}" in info.value.message
