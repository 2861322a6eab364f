"""Fuzz the template lexer, parser and compiler, and the runtime's escaping.

Input: byte 0 picks the check (and the environment's options); the rest is
the text, decoded as UTF-8 (undecodable bytes replaced). Checked:

- compiling any source either works, deterministically, into a Template,
  or raises :class:`TemplateSyntaxError` carrying a line inside the
  source (and a printable message) - never another exception;
- ``escape_str``/``escape`` agree with MarkupSafe and ``Markup.unescape``
  inverts them.

With bit 6 of byte 0 set, a compiled template is also rendered (for the
runtime under ASan: a render may fail with any exception, never crash) -
unless it could loop or allocate without bound, which is the template
author's business: sources with four-digit numbers, ``*``, ``range``,
macros, calls, ``self`` or recursive loops are not rendered, and ``range``
is capped.

With bit 5 of byte 0 set (and bit 7 clear), the source is rendered in one of
the RUNTIME environments instead: a loader holds a base layout, a macro
library and an include, so ``extends``, ``block``/``super()``, ``import``,
``include`` and ``call`` blocks run, with lenient, strict, chainable and
debug undefined values and a richer context (Markup, nested data). There
macros, calls and recursion are allowed (recursion ends in RecursionError);
only sources that could run for long are skipped: four-digit numbers, ``*``,
exponents, more than three ``for`` (``range`` is capped at 10).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from tests.fuzz._support import instrumented, main

with instrumented():
    import markupsafe

    from fastcore._speedups.template_runtime import Markup, escape, escape_str
    from fastcore.templating.environment import Environment, Template
    from fastcore.templating.exceptions import TemplateSyntaxError
    from fastcore.templating.loaders import DictLoader
    from fastcore.templating.undefined import ChainableUndefined, DebugUndefined

ENVIRONMENTS = (
    Environment(autoescape=True),
    Environment(autoescape=False),
    Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True),
    Environment(autoescape=False, keep_trailing_newline=True, undefined="strict"),
)


# What could make a render loop or allocate without bound.
UNBOUNDED = re.compile(r"\d{4}|\*|range|macro|call|self|recursive|cycler|\de\d")
CONTEXT = {
    "x": "<b>&",
    "n": 3,
    "items": [1, "<a>", None, {"k": "v"}, [2, 3]],
    "user": SimpleNamespace(name="a&b", tags=("t",)),
    "none": None,
}


def _bounded_range(*args: int) -> range:
    return range(*args)[:50]


for _env in ENVIRONMENTS:
    _env.globals["range"] = _bounded_range

# The templates a RUNTIME source can extend, import and include.
LIBRARY = {
    "base.html": (
        "<title>{% block title %}Base{% endblock %}</title>"
        "{% block body %}<p>{{ x }}</p>{% endblock %}"
        "{% block footer scoped %}{% for i in items %}{{ loop.index }}{% endfor %}{% endblock %}"
    ),
    "child.html": '{% extends "base.html" %}{% block title %}[{{ super() }}]{% endblock %}',
    "macros.html": (
        "{% macro field(name, value='', type='text') -%}"
        '<input type="{{ type }}" name="{{ name }}" value="{{ value|e }}"'
        "{% if kwargs %} {{ kwargs|xmlattr }}{% endif %}>"
        "{%- endmacro %}"
        "{% macro box(title) %}<div>{{ title }}{{ caller() if caller else '' }}</div>{% endmacro %}"
        "{% macro tree(node) %}{% for child in node %}"
        "{% if child is iterable and child is not string %}[{{ tree(child) }}]"
        "{% else %}{{ child }}{% endif %}{% endfor %}{% endmacro %}"
    ),
    "row.html": "<tr>{% for cell in items %}<td>{{ cell }}</td>{% endfor %}</tr>{{ n }}",
}
RUNTIME = tuple(
    Environment(loader=DictLoader(LIBRARY), autoescape=autoescape, undefined=undefined)
    for autoescape in (True, False)
    for undefined in ("lenient", "strict", ChainableUndefined, DebugUndefined)
)
RUNTIME_CONTEXT = {
    **CONTEXT,
    "safe": Markup("<i>%s</i>") % "&",
    "page": {"title": "T<", "rows": [[1, "a"], [2, None]], "meta": {"k": [True, 1.5]}},
    "words": ["b", "A", "c", "a", "<x>"],
    "people": [
        {"name": "bo", "age": 3, "city": "x"},
        {"name": "al", "age": 7, "city": "y"},
        {"name": "cy", "age": 3, "city": "x"},
    ],
    "text": "  Hello <b>World</b> &amp; more text here, over a few words\n second line ",
    "url": "see https://example.com/a?b=1&c=<2> or mail@example.com",
    "number": -12.3456,
}
# What could make a RUNTIME render slow: big numbers, repetition, deep loops.
UNBOUNDED_RUNTIME = re.compile(r"\d{4}|\*|\de\d")


def _small_range(*args: int) -> range:
    return range(*args)[:10]


for _env in RUNTIME:
    _env.globals["range"] = _small_range


def check_runtime(env: Environment, source: str) -> None:
    """Compile as check_compile does, then render, unless it could run for long."""
    template = check_compile(env, source)
    if template is None:
        return
    if len(source) > 600 or UNBOUNDED_RUNTIME.search(source) or source.count("for") > 3:
        return
    try:
        # The Template check_compile built: compiling it again costs as much as the render.
        assert isinstance(template.render(RUNTIME_CONTEXT), str)
    except Exception:  # a template may fail at runtime; the process must not
        pass


# PERF: each distinct (environment, source) is compiled and checked once, the
# Template kept for the renders of its later inputs: libFuzzer runs many inputs
# that decode to a source seen already (the render bit of byte 0, bytes that
# decode to U+FFFD, mutations undone), and compiling twice is nine tenths of
# an execution. Bounded: emptied when full.
COMPILED: dict[tuple[int, str], Template | None] = {}
COMPILED_MAX = 4096


def check_compile(env: Environment, source: str, render: bool = False) -> Template | None:
    """Compile ``source`` (twice, the same), or check its TemplateSyntaxError; the Template."""
    key = (id(env), source)
    if key in COMPILED:
        template = COMPILED[key]
    else:
        if len(COMPILED) >= COMPILED_MAX:
            COMPILED.clear()
        template = COMPILED[key] = _compile(env, source)
    if template is not None and render and len(source) <= 400 and not UNBOUNDED.search(source):
        try:
            assert isinstance(template.render(CONTEXT), str)
        except Exception:  # a template may fail at runtime; the process must not
            pass
    return template


def _compile(env: Environment, source: str) -> Template | None:
    try:
        # Compiles the source, builds the code object and runs the module
        # (definitions only). PERF: its compile is the first of the two the
        # determinism check compares (a separate env.compile() first cost a
        # third compile per input, the most expensive step of this target).
        template = Template(env, source, "fuzz.html", None, None)
    except TemplateSyntaxError as exc:
        lines = max(source.count("\n"), len(source.splitlines())) + 1
        assert isinstance(exc.lineno, int) and 1 <= exc.lineno <= lines, (exc.lineno, lines)
        assert exc.name == "fuzz.html"
        assert str(exc)
        return None
    assert env.compile(source, "fuzz.html").source == template.source
    return template


def check_escape(text: str) -> None:
    expected = str(markupsafe.escape(text))
    assert escape_str(text) == expected, (text, escape_str(text), expected)
    escaped = escape(text)
    assert type(escaped) is Markup and str(escaped) == expected
    assert escape(escaped) is escaped or str(escape(escaped)) == expected
    assert escaped.unescape() == text
    assert Markup("<b>%s</b>") % text == Markup("<b>" + expected + "</b>")


def one_input(data: bytes) -> None:
    if not data:
        return
    text = data[1:].decode("utf-8", "replace")
    if data[0] & 0x80:
        check_escape(text)
    elif data[0] & 0x20:
        check_runtime(RUNTIME[data[0] % len(RUNTIME)], text)
    else:
        check_compile(ENVIRONMENTS[data[0] % len(ENVIRONMENTS)], text, bool(data[0] & 0x40))


if __name__ == "__main__":
    main(one_input)
