"""The compiled hot filters against Jinja2, the oracle, on generated input.

Each case renders ``{{ v|filter(args) }}`` with both engines, autoescaping on
and off and with strict undefined values, over generated values: unicode
text, safe markup, undefined variables, numbers, sequences and edge values.
Both must give the same text, or fail with the same exception class.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2
import markupsafe
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastcore import templating

# fastcore refuses a bad truncate length with its FilterArgumentError where
# Jinja uses a bare assert; the case still has to fail in both engines.
_SAME_FAILURE = {"AssertionError": "FilterArgumentError"}

HTML_PIECES = st.sampled_from(
    ["<", ">", "<!--", "-->", "<b>", "</p>", "<a href='x'>", "&amp;", "&lt;", "&#39;", "&nbsp;",
     "&", "&notit;", " ", "  ", "\n", "\t", "\u00a0", "\u2003", "-", "(", "[", "{", "_", "'", '"',
     "%", "%s", "hello", "WORLD", "mIxEd", "é", "ß", "ǆ", "İ", "日本", "٣", "x1", "½"]
)  # fmt: skip
TEXT = st.one_of(
    st.lists(HTML_PIECES, max_size=14).map("".join),
    st.text(max_size=30),
)


class Value:
    """A context value, built for each engine (safe markup is each engine's own class)."""

    def __init__(self, kind: str, payload: Any = None) -> None:
        self.kind = kind
        self.payload = payload

    def build(self, engine: str) -> Any:
        if self.kind == "markup":
            return (markupsafe.Markup if engine == "jinja2" else templating.Markup)(self.payload)
        if self.kind == "list":
            return [item.build(engine) for item in self.payload]
        if self.kind == "tuple":
            return tuple(item.build(engine) for item in self.payload)
        return self.payload

    def __repr__(self) -> str:
        return f"{self.kind}({self.payload!r})"


MISSING = Value("missing")
SCALARS = st.one_of(
    TEXT.map(lambda s: Value("text", s)),
    TEXT.map(lambda s: Value("markup", s)),
    st.just(MISSING),
    st.integers(min_value=-(10**20), max_value=10**20).map(lambda n: Value("int", n)),
    st.floats(allow_nan=False).map(lambda x: Value("float", x)),
    st.sampled_from([None, True, False, 0, -1, 0.5, 1.5, 2.5, "", " ", "42", "4.2", "0x1A",
                     "1e3", "nan", "inf", "-7", " 12 "]).map(lambda v: Value("const", v)),
)  # fmt: skip
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS.filter(lambda v: v is not MISSING), max_size=4).map(
        lambda items: Value("list", items)
    ),
    st.lists(TEXT.map(lambda s: Value("text", s)), max_size=4).map(lambda i: Value("tuple", i)),
)


# (autoescape, strict undefined): the modes every case is rendered in.
MODES = [(True, False), (False, False), (True, True)]


@functools.cache
def _template(engine: str, autoescape: bool, strict: bool, source: str) -> Any:
    if engine == "jinja2":
        undefined = jinja2.StrictUndefined if strict else jinja2.Undefined
        return jinja2.Environment(autoescape=autoescape, undefined=undefined).from_string(source)
    env = templating.Environment(autoescape=autoescape, undefined="strict" if strict else "lenient")
    return env.from_string(source)


def _outcome(
    engine: str, mode: tuple[bool, bool], source: str, values: dict[str, Value]
) -> tuple[str, str]:
    context = {name: value.build(engine) for name, value in values.items() if value is not MISSING}
    try:
        return ("ok", _template(engine, *mode, source).render(context))
    except Exception as exc:  # both engines must fail alike
        name = type(exc).__name__
        return ("error", _SAME_FAILURE.get(name, name))


def _assert_same(source: str, **values: Value) -> None:
    for mode in MODES:
        oracle = _outcome("jinja2", mode, source, values)
        ours = _outcome("fastcore", mode, source, values)
        assert ours == oracle, (source, mode, values)


PROFILE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ONE_VALUE = [
    "upper", "lower", "capitalize", "title", "trim", "wordcount", "striptags", "length", "count",
    "first", "last", "int", "float", "round", "default", "d", "escape", "e", "string", "join",
    "striptags|truncate(20)", "title|join('-')", "default('x', true)",
]  # fmt: skip


@pytest.mark.parametrize("chain", ONE_VALUE)
@PROFILE
@given(value=VALUES)
def test_filter_matches_jinja(chain: str, value: Value) -> None:
    _assert_same("{{ v|" + chain + " }}", v=value)


@PROFILE
@given(
    value=VALUES,
    length=st.sampled_from([0, 1, 2, 3, 5, 10, 20, 255, True, 2.0]),
    killwords=st.booleans(),
    end=st.sampled_from(["...", "", "…", "<>", "&"]),
    leeway=st.sampled_from([None, 0, 1, 5, -1]),
    end_safe=st.booleans(),
)
def test_truncate_matches_jinja(
    value: Value, length: Any, killwords: bool, end: str, leeway: int | None, end_safe: bool
) -> None:
    end_value = Value("markup" if end_safe else "text", end)
    _assert_same(
        "{{ v|truncate(n, k, e, l) }}|{{ v|truncate(n) }}|{{ v|truncate(n, killwords=k) }}",
        v=value, n=Value("const", length), k=Value("const", killwords), e=end_value,
        l=Value("const", leeway),
    )  # fmt: skip


@PROFILE
@given(value=VALUES, old=SCALARS, new=SCALARS, count=st.sampled_from([None, -1, 0, 1, 2]))
def test_replace_matches_jinja(value: Value, old: Value, new: Value, count: int | None) -> None:
    _assert_same("{{ v|replace(o, n, c) }}|{{ v|replace(o, n) }}", v=value, o=old, n=new,
                 c=Value("const", count))  # fmt: skip


@PROFILE
@given(value=VALUES, separator=SCALARS, attribute=st.sampled_from([None, "0", "1", "x.y", 0]))
def test_join_matches_jinja(value: Value, separator: Value, attribute: Any) -> None:
    _assert_same("{{ v|join(d) }}|{{ v|join(d, attribute=a) }}", v=value, d=separator,
                 a=Value("const", attribute))  # fmt: skip


@PROFILE
@given(value=VALUES, chars=SCALARS)
def test_trim_with_chars_matches_jinja(value: Value, chars: Value) -> None:
    _assert_same("{{ v|trim(c) }}", v=value, c=chars)


@PROFILE
@given(value=VALUES, args=st.lists(SCALARS, max_size=3))
def test_format_matches_jinja(value: Value, args: list[Value]) -> None:
    names = {f"a{index}": arg for index, arg in enumerate(args)}
    positional = ", ".join(names)
    _assert_same(
        "{{ v|format(" + positional + ") }}|{{ v|format(x=a0 if a0 is defined else 1) }}",
        v=value, **names,
    )  # fmt: skip


@PROFILE
@given(
    value=VALUES,
    default=st.sampled_from([0, -1, 7, None, "d"]),
    base=st.sampled_from([10, 2, 8, 16, 0, 36]),
)
def test_int_and_float_match_jinja(value: Value, default: Any, base: int) -> None:
    _assert_same("{{ v|int(d, b) }}|{{ v|int(base=b) }}|{{ v|float(d) }}", v=value,
                 d=Value("const", default), b=Value("const", base))  # fmt: skip


@PROFILE
@given(
    value=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
        st.integers(-(10**6), 10**6),
        st.sampled_from([0.5, 1.5, 2.5, -0.5, 2.675, 1.005, 0.125]),
    ).map(lambda v: Value("const", v)),
    precision=st.sampled_from([0, 1, 2, 3, -1]),
    method=st.sampled_from(["common", "ceil", "floor", "up", "CEIL"]),
)
def test_round_matches_jinja(value: Value, precision: int, method: str) -> None:
    _assert_same("{{ v|round(p, m) }}|{{ v|round(p) }}|{{ v|round }}", v=value,
                 p=Value("const", precision), m=Value("const", method))  # fmt: skip


@PROFILE
@given(value=VALUES, fallback=SCALARS, boolean=st.booleans())
def test_default_matches_jinja(value: Value, fallback: Value, boolean: bool) -> None:
    _assert_same("{{ v|default(f, b) }}|{{ v.missing|default(f) }}", v=value, f=fallback,
                 b=Value("const", boolean))  # fmt: skip


def test_first_and_last_of_iterators_and_empty_sequences_match_jinja() -> None:
    for source in (
        "{{ range(5)|first }}{{ range(5)|last }}{{ []|first }}{{ ()|last }}|",
        "{{ 'abc'|first }}{{ 'abc'|last }}{{ {'a': 1}|first }}",
        "{{ ([]|first) is defined }}{{ ([]|last) is undefined }}",
    ):
        _assert_same(source)
