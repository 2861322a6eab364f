"""The parser: precedence and structure of the syntax tree, and syntax errors."""

from __future__ import annotations

import pytest

from fastcore.templating import Environment, TemplateSyntaxError, nodes


def _expr(source: str) -> nodes.Expr:
    tree = Environment().parse("{{ " + source + " }}")
    output = tree.body[0]
    assert isinstance(output, nodes.Output)
    return output.nodes[0]


def test_filters_bind_tighter_than_unary_minus_result() -> None:
    node = _expr("-x|abs")
    assert isinstance(node, nodes.Filter) and isinstance(node.node, nodes.UnaryOp)


def test_power_is_left_associative_like_jinja() -> None:
    node = _expr("2 ** 3 ** 2")
    assert isinstance(node, nodes.BinOp) and isinstance(node.left, nodes.BinOp)


def test_test_with_bare_argument_and_negation() -> None:
    node = _expr("x is not divisibleby 3")
    assert isinstance(node, nodes.UnaryOp) and isinstance(node.node, nodes.Test)
    assert node.node.name == "divisibleby" and isinstance(node.node.args[0], nodes.Const)


def test_comparison_chain_and_membership() -> None:
    node = _expr("a < b not in c")
    assert isinstance(node, nodes.Compare) and [op for op, _ in node.ops] == ["<", "not in"]


def test_statement_structure() -> None:
    tree = Environment().parse(
        "{% for a, b in x if a recursive %}{% else %}{% endfor %}"
        "{% macro m(p, q=1) %}{% endmacro %}{% block c scoped %}{% endblock c %}"
    )
    loop, macro, block = tree.body
    assert isinstance(loop, nodes.For) and loop.recursive and loop.test is not None
    assert isinstance(macro, nodes.Macro) and [a.name for a in macro.args] == ["p", "q"]
    assert isinstance(block, nodes.Block) and block.scoped


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% if x %}", "'elif' or 'else' or 'endif'"),
        ("{% endfor %}", "unknown tag 'endfor'"),
        ("{% set 1 = 2 %}", "can't assign to 'const'"),
        ("{% macro m(a=1, b) %}{% endmacro %}", "non-default argument"),
        ("{% block a %}{% endblock b %}", "expected token 'a'"),
        ("{% from 'x' import _p %}", "underline"),
        ("{{ x is defined is defined }}", "cannot chain multiple tests"),
        ("{% block a %}{% endblock %}{% block a %}{% endblock %}", "defined twice"),
        ("{% for x in y %}{% extends 'a' %}{% endfor %}", "non top-level scope"),
        ("{% macro m(caller) %}{% endmacro %}", 'caller" argument must be omitted'),
    ],
)
def test_syntax_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        Environment().from_string(source)
