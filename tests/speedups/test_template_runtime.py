"""The compiled template runtime, through its Python surface."""

from __future__ import annotations

import html

import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastcore._speedups import template_runtime as rt
from fastcore.templating import UndefinedError


def test_runtime_is_compiled() -> None:
    assert rt.__file__.endswith((".so", ".pyd"))
    assert rt.LoopContext.__module__ == "fastcore._speedups.template_runtime"


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("", ""),
        ("plain", "plain"),
        ("&<>\"'", "&amp;&lt;&gt;&#34;&#39;"),
        ("日本<語>", "日本&lt;語&gt;"),
        ("emoji 😀 & more", "emoji 😀 &amp; more"),
        ("é<", "é&lt;"),
    ],
)
def test_escape_matches_markupsafe(raw: str, escaped: str) -> None:
    assert rt.escape(raw) == escaped == markupsafe.escape(raw)
    assert type(rt.escape(raw)) is rt.Markup


@given(st.text())
def test_escape_matches_markupsafe_on_any_text(text: str) -> None:
    assert str(rt.escape(text)) == str(markupsafe.escape(text))
    assert rt.render_escaped(text) == str(markupsafe.escape(text))


def test_escape_str_returns_the_same_object_when_nothing_changes() -> None:
    text = "nothing to escape here, 日本"
    assert rt.escape_str(text) is text


def test_escape_respects_html_protocol() -> None:
    class Widget:
        def __html__(self) -> str:
            return "<b>ok</b>"

    assert rt.escape(Widget()) == "<b>ok</b>"
    assert rt.render_escaped(Widget()) == "<b>ok</b>"
    assert rt.escape(rt.Markup("<i>")) == "<i>"


def test_render_escaped_and_render_str_convert_values() -> None:
    assert rt.render_escaped(5) == "5"
    assert rt.render_escaped(None) == "None"
    assert rt.render_escaped(rt.Undefined(name="x")) == ""
    assert rt.render_str("<b>") == "<b>"
    assert rt.render_str(1.5) == "1.5"


def test_markup_operations_escape_the_plain_side() -> None:
    markup = rt.Markup("<b>%s</b>")
    assert markup % "<i>" == "<b>&lt;i&gt;</b>"
    assert markup + "<" == "<b>%s</b>&lt;"
    assert "<" + markup == "&lt;<b>%s</b>"
    assert rt.Markup("<br>").join(["<a>", rt.Markup("<b>")]) == "&lt;a&gt;<br><b>"
    assert rt.Markup("{0}<hr>{x}").format("<", x="&") == "&lt;<hr>&amp;"
    assert rt.Markup("<p>a  <b>b</b></p>").striptags() == "a b"
    assert rt.Markup("&lt;x&gt;").unescape() == "<x>"
    assert isinstance(rt.Markup("abc").upper(), rt.Markup)


def test_markup_join_and_str_join() -> None:
    assert rt.markup_join(["<", 1]) == "<1"
    joined = rt.markup_join(["<", rt.Markup("<b>")])
    assert joined == "&lt;<b>" and isinstance(joined, rt.Markup)
    assert rt.str_join(["a", 1, None]) == "a1None"


def test_lookup_attr_prefers_attributes_then_items() -> None:
    class Thing:
        name = "attr"

    assert rt.lookup_attr(Thing(), "name", rt.Undefined) == "attr"
    assert rt.lookup_attr({"name": "item"}, "name", rt.Undefined) == "item"
    assert callable(rt.lookup_attr({"items": 1}, "items", rt.Undefined))
    missing = rt.lookup_attr({}, "nope", rt.Undefined)
    assert isinstance(missing, rt.Undefined)
    with pytest.raises(UndefinedError, match="'dict object' has no attribute 'nope'"):
        missing.anything  # noqa: B018


def test_lookup_item_prefers_items_then_attributes() -> None:
    assert rt.lookup_item({"items": 1}, "items", rt.Undefined) == 1
    assert rt.lookup_item([1, 2], 1, rt.Undefined) == 2
    assert callable(rt.lookup_item({}, "items", rt.Undefined))
    assert isinstance(rt.lookup_item([], 3, rt.Undefined), rt.Undefined)
    assert isinstance(rt.lookup_item({}, [1], rt.Undefined), rt.Undefined)


def test_lenient_undefined() -> None:
    value = rt.Undefined(name="x")
    assert str(value) == "" and not value and list(value) == [] and len(value) == 0
    assert value == rt.Undefined()
    with pytest.raises(UndefinedError, match="'x' is undefined"):
        value + 1
    with pytest.raises(UndefinedError):
        value()
    with pytest.raises(AttributeError):
        value.__something__  # noqa: B018


def test_strict_undefined_raises_on_every_use() -> None:
    value = rt.StrictUndefined(name="user")
    for use in (str, bool, list, len):
        with pytest.raises(UndefinedError, match="'user' is undefined"):
            use(value)


def test_loop_context() -> None:
    loop = rt.LoopContext(iter("abc"), rt.Undefined)
    seen = []
    for item in loop:
        seen.append(
            (item, loop.index, loop.index0, loop.revindex, loop.first, loop.last, loop.length)
        )
    assert seen == [
        ("a", 1, 0, 3, True, False, 3),
        ("b", 2, 1, 2, False, False, 3),
        ("c", 3, 2, 1, False, True, 3),
    ]
    loop = rt.LoopContext([1, 2], rt.Undefined)
    next(loop)
    assert isinstance(loop.previtem, rt.Undefined) and loop.nextitem == 2
    assert loop.cycle("odd", "even") == "odd"
    assert loop.changed(1) and not loop.changed(1) and loop.changed(2)
    with pytest.raises(TypeError, match="recursive"):
        loop([1])


def test_macro_binds_arguments_like_jinja() -> None:
    calls = []

    def body(a, b, caller, kwargs, varargs):  # type: ignore[no-untyped-def]
        calls.append((a, b, caller, kwargs, varargs))
        return "ok"

    macro = rt.Macro(body, "m", ("a", "b"), True, True, True, rt.Undefined)
    assert macro(1, 2, 3, caller="c", x=4) == "ok"
    assert calls[-1] == (1, 2, "c", {"x": 4}, (3,))
    macro(b=5)
    assert calls[-1][0] is rt.missing and calls[-1][1] == 5
    assert isinstance(calls[-1][2], rt.Undefined)
    strict = rt.Macro(lambda a: a, "s", ("a",), False, False, False, rt.Undefined)
    with pytest.raises(TypeError, match="takes no keyword argument 'x'"):
        strict(x=1)
    with pytest.raises(TypeError, match="takes not more than 1 argument"):
        strict(1, 2)


def test_context_resolution_order() -> None:
    ctx = rt.Context(None, {"a": 1, "b": 2}, "t", {}, rt.Undefined, True)
    ctx.vars["b"] = 3
    assert ctx.resolve("a") == 1 and ctx.resolve("b") == 3
    assert isinstance(ctx.resolve("c"), rt.Undefined)
    assert ctx.get_all() == {"a": 1, "b": 3}
    assert ctx.derived({"c": 4}).resolve("c") == 4


def test_lookups_and_context_call_keep_reference_counts_stable() -> None:
    import sys

    class Thing:
        value = object()

    def marked(ctx: object, x: object) -> object:
        return x

    marked.fastcore_pass_arg = "context"  # type: ignore[attr-defined]
    thing, payload = Thing(), object()
    mapping = {"key": payload}
    ctx = rt.Context(None, {}, "t", {}, rt.Undefined, True)
    before = (sys.getrefcount(Thing.value), sys.getrefcount(payload), sys.getrefcount("context"))
    for _ in range(1000):
        rt.lookup_attr(thing, "value", rt.Undefined)
        rt.lookup_attr(mapping, "key", rt.Undefined)
        rt.lookup_item(mapping, "key", rt.Undefined)
        rt.context_call(ctx, marked, payload)
    after = (sys.getrefcount(Thing.value), sys.getrefcount(payload), sys.getrefcount("context"))
    assert after == before


def test_context_call_passes_what_the_function_asks_for() -> None:
    ctx = rt.Context("env", {}, "t", {}, rt.Undefined, True)

    def plain(x: int) -> int:
        return x + 1

    def wants_environment(env: str, x: int) -> str:
        return f"{env}:{x}"

    wants_environment.fastcore_pass_arg = "environment"  # type: ignore[attr-defined]
    assert rt.context_call(ctx, plain, 1) == 2
    assert rt.context_call(ctx, wants_environment, 1) == "env:1"


TEXT = st.text(alphabet=st.sampled_from(list("ab<>&\"' %s{}0")), max_size=12)


@given(TEXT, TEXT, TEXT)
def test_markup_operations_match_markupsafe(base: str, other: str, arg: str) -> None:
    ours, theirs = rt.Markup(base), markupsafe.Markup(base)
    assert ours + other == theirs + other
    assert other + ours == other + theirs
    assert ours.join([other, arg]) == theirs.join([other, arg])
    assert ours.replace("a", arg) == theirs.replace("a", arg)
    # MarkupSafe 3 escapes what a method inserts, not what it searches for.
    assert ours.replace(other, arg) == theirs.replace(other, arg)
    assert ours.strip(other) == theirs.strip(other)
    assert ours.center(9, "*") == theirs.center(9, "*")
    assert ours.striptags() == theirs.striptags()
    assert ours.unescape() == theirs.unescape()
    template = "%s|" + base.replace("%", "%%")
    assert rt.Markup(template) % other == markupsafe.Markup(template) % other
    fields = "{0}-{x}" + base.replace("{", "{{").replace("}", "}}")
    assert rt.Markup(fields).format(other, x=arg) == markupsafe.Markup(fields).format(other, x=arg)


HTML_PIECES = st.sampled_from(
    ["<", ">", "<!--", "-->", "--", "!", " ", "\n", "\t", "\u00a0", "\u2003", "\x85", "a", "B",
     "&amp;", "&lt;", "&", "&#39;", "&nbsp;", "é", "日", "<b>", "</p>", "<a href='x'>"]
)  # fmt: skip


@given(st.one_of(st.lists(HTML_PIECES, max_size=16).map("".join), st.text()))
def test_striptags_kernel_matches_markupsafe(text: str) -> None:
    expected = markupsafe.Markup(text).striptags()
    assert rt.striptags(text) == expected
    assert type(rt.striptags(text)) is str
    assert rt.Markup(text).striptags() == expected


@pytest.mark.parametrize(
    "text",
    [
        "<p>Post <b>1</b> &amp; more</p>\n<!-- a <b> in a comment --><p>end</p>",
        "open <!-- never closed <b>x</b>",
        "a < b and c > d",
        "<!--><b>x</b>",
        "unclosed <tag",
    ],
)
def test_striptags_kernel_edge_cases(text: str) -> None:
    assert rt.striptags(text) == markupsafe.Markup(text).striptags()


ENTITY_PIECES = st.sampled_from(
    ["&amp;", "&lt;", "&gt;", "&quot;", "&#34;", "&#39;", "&#x27;", "&nbsp;", "&", "amp;",
     "&amp", "&notit;", "&#0;", "&AMP;", "&#x27", "a", " ", "é"]
)  # fmt: skip


@given(st.lists(ENTITY_PIECES, max_size=12).map("".join))
def test_unescape_kernel_matches_the_standard_library(text: str) -> None:
    assert rt.unescape_html(text) == html.unescape(text)
