"""The compiled hot filters, through their Python surface (Jinja2's filters as the oracle)."""

from __future__ import annotations

import sys

import jinja2
import jinja2.filters
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastcore import templating
from fastcore._speedups import template_filters as kernel
from fastcore._speedups import template_runtime as rt
from fastcore.exceptions import FilterArgumentError, TemplateRuntimeError


def test_filters_are_compiled_and_registered() -> None:
    assert kernel.__file__.endswith((".so", ".pyd"))
    filters = templating.Environment().filters
    assert filters["truncate"] is kernel.truncate
    assert filters["title"] is kernel.title
    assert filters["length"] is len
    assert issubclass(FilterArgumentError, TemplateRuntimeError)
    assert templating.filters.FilterArgumentError is FilterArgumentError


@given(st.text())
def test_title_matches_jinja_on_any_text(text: str) -> None:
    assert kernel.title(text) == jinja2.filters.do_title(text)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_title_matches_jinja_on_ascii_text(text: str) -> None:
    # The one-pass ASCII path, with every separator character Jinja knows.
    assert kernel.title(text) == jinja2.filters.do_title(text)


@given(st.text(), st.integers(0, 40), st.booleans(), st.integers(0, 6))
def test_truncate_matches_jinja_on_plain_text(
    text: str, length: int, killwords: bool, leeway: int
) -> None:
    env = jinja2.Environment()
    expected = jinja2.filters.do_truncate(env, text, length + 3, killwords, "...", leeway)
    assert kernel.truncate(None, text, length + 3, killwords, "...", leeway) == expected


@given(st.text())
def test_wordcount_matches_the_re_module(text: str) -> None:
    assert kernel.wordcount(text) == jinja2.filters.do_wordcount(text)


def test_truncate_refuses_lengths_shorter_than_the_ending() -> None:
    env = templating.Environment()
    with pytest.raises(FilterArgumentError, match="expected length >= 3, got 2"):
        env.from_string("{{ 'abcdef'|truncate(2) }}").render()
    with pytest.raises(FilterArgumentError, match="expected leeway >= 0, got -1"):
        env.from_string("{{ 'abcdef'|truncate(3, leeway=-1) }}").render()


def test_truncate_reads_the_leeway_policy_at_render_time() -> None:
    env = templating.Environment()
    template = env.from_string("{{ 'one two three'|truncate(9) }}")
    assert template.render() == "one two three"
    env.policies["truncate.leeway"] = 0
    assert template.render() == "one..."


def test_attribute_getter_follows_dotted_paths_item_first() -> None:
    get = kernel.AttributeGetter(rt.Undefined, "a.0.b")
    assert get({"a": [{"b": 7}]}) == 7
    assert isinstance(kernel.AttributeGetter(rt.Undefined, "a.0")({"a": []}), rt.Undefined)
    fallback = kernel.AttributeGetter(rt.Undefined, "a.x", str.upper, "none")
    assert fallback({"a": {}}) == "NONE"
    assert kernel.AttributeGetter(rt.Undefined, None)("same") == "same"


def test_join_escapes_plain_items_only_when_some_item_is_safe() -> None:
    ctx = rt.Context(templating.Environment(), {}, "t", {}, rt.Undefined, True)
    assert kernel.join(ctx, ["a", "<b>"], ", ") == "a, <b>"
    joined = kernel.join(ctx, ["<a>", rt.Markup("<b>")], "&")
    assert joined == "&lt;a&gt;&amp;<b>"
    assert type(joined) is rt.Markup
    with pytest.raises(TypeError):
        kernel.join(None, ["a"])  # type: ignore[arg-type]


def test_fast_paths_keep_reference_counts_stable() -> None:
    ctx = rt.Context(templating.Environment(), {}, "t", {}, rt.Undefined, True)
    text, words = "Some <b>bold</b> text &amp; more " * 8, ["x", "y", "z"]
    before = (sys.getrefcount(text), sys.getrefcount(words[0]), sys.getrefcount(words))
    for _ in range(500):
        kernel.truncate(ctx.environment, kernel.striptags(text), 20)
        kernel.join(ctx, words, ", ")
        kernel.first(None, words)
        kernel.last(None, words)
        kernel.title(text)
    after = (sys.getrefcount(text), sys.getrefcount(words[0]), sys.getrefcount(words))
    assert after == before
