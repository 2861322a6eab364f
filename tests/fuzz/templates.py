"""Fuzz the template lexer, parser and compiler, and the runtime's escaping.

Input: byte 0 picks the check (and the environment's options); the rest is
the text, decoded as UTF-8 (undecodable bytes replaced). Checked:

- compiling any source either works, deterministically, into a Template,
  or raises :class:`TemplateSyntaxError` carrying a line inside the
  source (and a printable message) - never another exception;
- ``escape_str``/``escape`` agree with MarkupSafe and ``Markup.unescape``
  inverts them.

Sources are compiled, never rendered: a fuzzed template may loop or allocate
without bound, which is the template author's business.
"""

from __future__ import annotations

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


def check_compile(env: Environment, source: str) -> None:
    try:
        compiled = env.compile(source, "fuzz.html")
        # Builds the code object and runs the module (definitions only).
        Template(env, source, "fuzz.html", None, None)
    except TemplateSyntaxError as exc:
        lines = max(source.count("\n"), len(source.splitlines())) + 1
        assert isinstance(exc.lineno, int) and 1 <= exc.lineno <= lines, (exc.lineno, lines)
        assert exc.name == "fuzz.html"
        assert str(exc)
        return
    assert env.compile(source, "fuzz.html").source == compiled.source


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
        check_compile(ENVIRONMENTS[data[0] % len(ENVIRONMENTS)], text)


if __name__ == "__main__":
    main(one_input)
