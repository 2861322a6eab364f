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


def check_compile(env: Environment, source: str, render: bool = False) -> None:
    try:
        compiled = env.compile(source, "fuzz.html")
        # Builds the code object and runs the module (definitions only).
        template = Template(env, source, "fuzz.html", None, None)
    except TemplateSyntaxError as exc:
        lines = max(source.count("\n"), len(source.splitlines())) + 1
        assert isinstance(exc.lineno, int) and 1 <= exc.lineno <= lines, (exc.lineno, lines)
        assert exc.name == "fuzz.html"
        assert str(exc)
        return
    assert env.compile(source, "fuzz.html").source == compiled.source
    if render and len(source) <= 400 and not UNBOUNDED.search(source):
        try:
            assert isinstance(template.render(CONTEXT), str)
        except Exception:  # a template may fail at runtime; the process must not
            pass


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
    else:
        check_compile(ENVIRONMENTS[data[0] % len(ENVIRONMENTS)], text, bool(data[0] & 0x40))


if __name__ == "__main__":
    main(one_input)
