"""The lexer: tokens, whitespace control and line numbers."""

from __future__ import annotations

import pytest

from fastcore.templating import TemplateSyntaxError
from fastcore.templating.lexer import Lexer


def _tokens(source: str, **options: bool) -> list[tuple[int, str, object]]:
    lexer = Lexer(
        options.get("trim_blocks", False),
        options.get("lstrip_blocks", False),
        options.get("keep_trailing_newline", False),
    )
    return [(t.lineno, t.type, t.value) for t in lexer.tokenize(source, "t", None)]


def test_expression_tokens() -> None:
    assert _tokens("{{ a.b[0] ~ 'x\\n' // 2.5e1 }}") == [
        (1, "variable_begin", None),
        (1, "name", "a"),
        (1, "operator", "."),
        (1, "name", "b"),
        (1, "operator", "["),
        (1, "integer", 0),
        (1, "operator", "]"),
        (1, "operator", "~"),
        (1, "string", "x\n"),
        (1, "operator", "//"),
        (1, "float", 25.0),
        (1, "variable_end", None),
        (1, "eof", None),
    ]


def test_line_numbers_count_every_newline() -> None:
    tokens = _tokens("a\nb\n{% if\nx %}\n{# c\n #}{{ y }}")
    assert (4, "name", "x") in tokens
    assert (6, "name", "y") in tokens


def test_whitespace_control_and_options() -> None:
    assert _tokens("a \n {%- if x -%} \n b")[0] == (1, "data", "a")
    assert _tokens("{% if x %}\nb", trim_blocks=True)[-2] == (2, "data", "b")
    assert _tokens("x\n   {% if y %}", lstrip_blocks=True)[0] == (1, "data", "x\n")
    assert _tokens("x\n   {%+ if y %}", lstrip_blocks=True)[0] == (1, "data", "x\n   ")


def test_trailing_newline_is_dropped_unless_kept() -> None:
    assert _tokens("a\n")[0] == (1, "data", "a")
    assert _tokens("a\n", keep_trailing_newline=True)[0] == (1, "data", "a\n")


def test_raw_blocks_are_data() -> None:
    assert _tokens("{% raw %}{{ x }}{% endraw %}")[0] == (1, "data", "{{ x }}")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ x", "expected '}}'"),
        ("{# open", "Missing end of comment"),
        ("{% raw %}x", "Missing end of raw"),
        ("{{ (x] }}", "unexpected ']'"),
        ("{{ x ? y }}", "unexpected char '?'"),
    ],
)
def test_lexer_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message.replace("?", r"\?").replace("(", r"\(")):
        _tokens(source)
