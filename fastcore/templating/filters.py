"""The built-in filters, with Jinja's names, arguments and output."""

from __future__ import annotations

import json
import pprint
import random
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain, groupby
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import quote_from_bytes

from fastcore._speedups import template_filters as kernel
from fastcore.exceptions import FilterArgumentError

from .runtime import Markup, Undefined, escape, soft_str
from .urlize import URI_SCHEME_RE, urlize

if TYPE_CHECKING:
    from .environment import Environment
    from .runtime import Context

__all__ = [
    "DEFAULT_FILTERS",
    "FilterArgumentError",
    "pass_context",
    "pass_environment",
    "pass_eval_context",
]

F = TypeVar("F", bound=Callable[..., Any])


def pass_context(function: F) -> F:
    """Mark a filter, test or global so it receives the render Context first."""
    function.fastcore_pass_arg = "context"  # type: ignore[attr-defined]
    return function


def pass_eval_context(function: F) -> F:
    """Mark a filter or test so it receives the evaluation context (``.autoescape``) first."""
    function.fastcore_pass_arg = "eval_context"  # type: ignore[attr-defined]
    return function


def pass_environment(function: F) -> F:
    """Mark a filter or test so it receives the Environment first."""
    function.fastcore_pass_arg = "environment"  # type: ignore[attr-defined]
    return function


# --- attribute helpers -------------------------------------------------------


def make_attrgetter(
    environment: Environment,
    attribute: str | int | None,
    postprocess: Callable[[Any], Any] | None = None,
    default: Any = None,
) -> Callable[[Any], Any]:
    """Build a getter for a dotted ``attribute`` path (item lookup first, as Jinja)."""
    return kernel.AttributeGetter(environment.undefined, attribute, postprocess, default)


def make_multi_attrgetter(
    environment: Environment,
    attribute: str | int | None,
    postprocess: Callable[[Any], Any] | None = None,
) -> Callable[[Any], list[Any]]:
    """Build a getter for comma-separated attribute paths, returning a list."""
    names = attribute.split(",") if isinstance(attribute, str) else [attribute]
    getters = [make_attrgetter(environment, name, postprocess) for name in names]
    return lambda item: [getter(item) for getter in getters]


def _ignore_case(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _case_postprocess(case_sensitive: bool) -> Callable[[Any], Any] | None:
    return None if case_sensitive else _ignore_case


# --- strings -----------------------------------------------------------------


def do_center(value: str, width: int = 80) -> str:
    """Center the value in a field of ``width``."""
    return soft_str(value).center(width)


def _url_quote(obj: Any, for_qs: bool = False) -> str:
    if not isinstance(obj, bytes):
        obj = str(obj).encode("utf-8")
    quoted = quote_from_bytes(obj, b"" if for_qs else b"/")
    return quoted.replace("%20", "+") if for_qs else quoted


def do_urlencode(value: Any) -> str:
    """Percent-encode a string, or a mapping/pairs as a query string."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        return _url_quote(value)
    items = value.items() if isinstance(value, dict) else iter(value)
    return "&".join(f"{_url_quote(k, for_qs=True)}={_url_quote(v, for_qs=True)}" for k, v in items)


def do_indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """Indent every line but the first (unless ``first``), skipping blank lines."""
    indention = width if isinstance(width, str) else " " * width
    newline = "\n"
    if hasattr(s, "__html__"):
        s = Markup(s)  # any safe string (MarkupSafe's too) stays safe
        # The indentation is layout, not text: it must not be escaped.
        indention = Markup(indention)
        newline = Markup(newline)
    s += newline  # so a trailing newline survives splitlines()
    if blank:
        rv = (newline + indention).join(s.splitlines())
    else:
        lines = s.splitlines()
        rv = lines.pop(0)
        if lines:
            rv += newline + newline.join(indention + line if line else line for line in lines)
    if first:
        rv = indention + rv
    return rv


@pass_environment
def do_wordwrap(
    environment: Environment,
    s: str,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    """Wrap the text at ``width`` columns."""
    if wrapstring is None:
        wrapstring = "\n"
    return wrapstring.join(
        wrapstring.join(
            textwrap.wrap(
                line,
                width=width,
                expand_tabs=False,
                replace_whitespace=False,
                break_long_words=break_long_words,
                break_on_hyphens=break_on_hyphens,
            )
        )
        for line in s.splitlines()
    )


def do_filesizeformat(value: str | float, binary: bool = False) -> str:
    """Format a byte count as ``13.4 kB`` (or ``13.1 KiB`` when ``binary``)."""
    size = float(value)
    base = 1024 if binary else 1000
    prefixes = (
        ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
        if binary
        else ("kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
    )
    if size == 1:
        return "1 Byte"
    if size < base:
        return f"{int(size)} Bytes"
    unit = base
    for index in range(len(prefixes)):
        unit = base ** (index + 2)
        if size < unit:
            break
    return f"{base * size / unit:.1f} {prefixes[index]}"


@pass_eval_context
def do_tojson(eval_ctx: Context, value: Any, indent: int | None = None) -> Markup:
    """Serialize to JSON that is safe inside HTML and ``<script>`` tags.

    The environment's ``policies["json.dumps_function"]`` (``json.dumps`` when
    None) serializes, with ``policies["json.dumps_kwargs"]`` as its options.
    """
    policies = eval_ctx.environment.policies
    dumps = policies["json.dumps_function"] or json.dumps
    options = dict(policies["json.dumps_kwargs"])
    if indent is not None:
        options["indent"] = indent
    dumped = dumps(value, **options)
    # SECURITY: escape the characters that could close a <script> or break out of
    # an attribute, as Jinja's htmlsafe_json_dumps does.
    return Markup(
        dumped.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


@pass_eval_context
def do_urlize(
    eval_ctx: Context,
    value: str,
    trim_url_limit: int | None = None,
    nofollow: bool = False,
    target: str | None = None,
    rel: str | None = None,
    extra_schemes: Iterable[str] | None = None,
) -> str:
    """Turn URLs and e-mail addresses into links (Jinja's rules and policies).

    ``rel`` gains ``nofollow`` when asked and the ``urlize.rel`` policy's
    words; ``target`` and ``extra_schemes`` default to the ``urlize.target``
    and ``urlize.extra_schemes`` policies.
    """
    policies = eval_ctx.environment.policies
    rel_words = set((rel or "").split())
    if nofollow:
        rel_words.add("nofollow")
    rel_words.update((policies["urlize.rel"] or "").split())
    if target is None:
        target = policies["urlize.target"]
    if extra_schemes is None:
        extra_schemes = policies["urlize.extra_schemes"] or ()
    for scheme in extra_schemes:
        if URI_SCHEME_RE.fullmatch(scheme) is None:
            raise FilterArgumentError(f"{scheme!r} is not a valid URI scheme prefix.")
    rendered = urlize(
        value, trim_url_limit, " ".join(sorted(rel_words)) or None, target, extra_schemes
    )
    return Markup(rendered) if eval_ctx.autoescape else rendered


_ATTRIBUTE_KEY_RE = re.compile(r"[\s/>=]", flags=re.ASCII)


@pass_eval_context
def do_xmlattr(eval_ctx: Context, d: Mapping[str, Any], autospace: bool = True) -> str:
    """Render a dict as escaped HTML/XML attributes, skipping None and undefined."""
    items = []
    for key, value in d.items():
        if value is None or isinstance(value, Undefined):
            continue
        # SECURITY: a key with a space, "/", ">" or "=" could inject markup.
        if _ATTRIBUTE_KEY_RE.search(key) is not None:
            raise ValueError(f"Invalid character in attribute name: {key!r}")
        items.append(f'{escape(key)}="{escape(value)}"')
    rendered = " ".join(items)
    if autospace and rendered:
        rendered = " " + rendered
    return Markup(rendered) if eval_ctx.autoescape else rendered


@pass_context
def do_random(context: Context, seq: Any) -> Any:
    """Return a random item of the sequence."""
    try:
        return random.choice(seq)
    except IndexError:
        return context.environment.undefined("No random item, sequence was empty.")


# --- values ------------------------------------------------------------------


def do_mark_safe(value: str) -> Markup:
    """Mark the value as safe HTML: it will not be escaped."""
    return Markup(value)


def do_forceescape(value: Any) -> Markup:
    """Escape the value even if it is already marked safe."""
    if hasattr(value, "__html__"):
        value = value.__html__()
    return escape(str(value))


def do_pprint(value: Any) -> str:
    """Pretty-print the value (for debugging)."""
    return pprint.pformat(value)


@pass_environment
def do_attr(environment: Environment, obj: Any, name: str) -> Any:
    """Get an attribute (never an item) of the object."""
    try:
        return getattr(obj, name)
    except AttributeError:
        return environment.undefined(obj=obj, name=name)


def do_items(value: Mapping[Any, Any] | Undefined) -> Iterator[tuple[Any, Any]]:
    """Iterate over a mapping's ``(key, value)`` pairs."""
    if isinstance(value, Undefined):
        return iter(())
    if not isinstance(value, Mapping):
        raise TypeError("Can only get item pairs from a mapping.")
    return iter(value.items())


# --- sequences ---------------------------------------------------------------


def do_list(value: Iterable[Any]) -> list[Any]:
    """Convert the value into a list (a string gives its characters)."""
    return list(value)


def do_reverse(value: Any) -> Any:
    """Reverse a string, or iterate over a sequence backwards."""
    if isinstance(value, str):
        return value[::-1]
    try:
        return reversed(value)
    except TypeError:
        try:
            items = list(value)
        except TypeError as exc:
            raise FilterArgumentError("argument must be iterable") from exc
        items.reverse()
        return items


@pass_environment
def do_sort(
    environment: Environment,
    value: Iterable[Any],
    reverse: bool = False,
    case_sensitive: bool = False,
    attribute: str | int | None = None,
) -> list[Any]:
    """Sort the items (case-insensitively by default), optionally by attribute."""
    key = make_multi_attrgetter(environment, attribute, _case_postprocess(case_sensitive))
    return sorted(value, key=key, reverse=reverse)


def do_dictsort(
    value: Mapping[Any, Any], case_sensitive: bool = False, by: str = "key", reverse: bool = False
) -> list[tuple[Any, Any]]:
    """Sort a mapping's items by key or by value."""
    if by == "key":
        position = 0
    elif by == "value":
        position = 1
    else:
        raise FilterArgumentError('You can only sort by either "key" or "value"')

    def sort_key(item: tuple[Any, Any]) -> Any:
        return item[position] if case_sensitive else _ignore_case(item[position])

    return sorted(value.items(), key=sort_key, reverse=reverse)


@pass_environment
def do_unique(
    environment: Environment,
    value: Iterable[Any],
    case_sensitive: bool = False,
    attribute: str | int | None = None,
) -> Iterator[Any]:
    """Yield the items with duplicates (by key) removed, first occurrence kept."""
    getter = make_attrgetter(environment, attribute, _case_postprocess(case_sensitive))
    seen = set()
    for item in value:
        key = getter(item)
        if key not in seen:
            seen.add(key)
            yield item


def _min_or_max(
    environment: Environment,
    value: Iterable[Any],
    function: Callable[..., Any],
    case_sensitive: bool,
    attribute: str | int | None,
) -> Any:
    iterator = iter(value)
    try:
        first = next(iterator)
    except StopIteration:
        return environment.undefined("No aggregated item, sequence was empty.")
    key = make_attrgetter(environment, attribute, _case_postprocess(case_sensitive))
    return function(chain([first], iterator), key=key)


@pass_environment
def do_min(
    environment: Environment,
    value: Iterable[Any],
    case_sensitive: bool = False,
    attribute: str | int | None = None,
) -> Any:
    """Return the smallest item."""
    return _min_or_max(environment, value, min, case_sensitive, attribute)


@pass_environment
def do_max(
    environment: Environment,
    value: Iterable[Any],
    case_sensitive: bool = False,
    attribute: str | int | None = None,
) -> Any:
    """Return the largest item."""
    return _min_or_max(environment, value, max, case_sensitive, attribute)


@pass_environment
def do_sum(
    environment: Environment,
    iterable: Iterable[Any],
    attribute: str | int | None = None,
    start: Any = 0,
) -> Any:
    """Sum the items (or one attribute of each)."""
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    return sum(iterable, start)


def do_batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Iterator[list[Any]]:
    """Yield lists of ``linecount`` items, the last padded with ``fill_with``."""
    batch: list[Any] = []
    for item in value:
        if len(batch) == linecount:
            yield batch
            batch = []
        batch.append(item)
    if batch:
        if fill_with is not None and len(batch) < linecount:
            batch += [fill_with] * (linecount - len(batch))
        yield batch


def do_slice(value: Iterable[Any], slices: int, fill_with: Any = None) -> Iterator[list[Any]]:
    """Split the items into ``slices`` columns."""
    seq = list(value)
    per_slice, with_extra = divmod(len(seq), slices)
    offset = 0
    for number in range(slices):
        start = offset + number * per_slice
        if number < with_extra:
            offset += 1
        end = offset + (number + 1) * per_slice
        part = seq[start:end]
        if fill_with is not None and number >= with_extra:
            part.append(fill_with)
        yield part


class _GroupTuple(NamedTuple):
    grouper: Any
    list: list[Any]

    def __repr__(self) -> str:
        return tuple.__repr__(self)

    def __str__(self) -> str:
        return tuple.__str__(self)


@pass_environment
def do_groupby(
    environment: Environment,
    value: Iterable[Any],
    attribute: str | int,
    default: Any = None,
    case_sensitive: bool = False,
) -> list[_GroupTuple]:
    """Group the items by an attribute: a list of ``(grouper, list)`` pairs."""
    key = make_attrgetter(environment, attribute, _case_postprocess(case_sensitive), default)
    groups = [_GroupTuple(k, list(items)) for k, items in groupby(sorted(value, key=key), key)]
    if not case_sensitive:
        output_key = make_attrgetter(environment, attribute, default=default)
        groups = [_GroupTuple(output_key(items[0]), items) for _, items in groups]
    return groups


@pass_context
def do_map(context: Context, value: Iterable[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Apply a filter to every item, or look up an attribute of each."""
    environment: Environment = context.environment
    if not args and "attribute" in kwargs:
        attribute = kwargs.pop("attribute")
        default = kwargs.pop("default", None)
        if kwargs:
            raise FilterArgumentError(f"Unexpected keyword argument {next(iter(kwargs))!r}")
        function = make_attrgetter(environment, attribute, default=default)
    else:
        name, *rest = args
        function = lambda item: environment.call_filter(name, item, rest, kwargs, context)  # noqa: E731
    if value:
        for item in value:
            yield function(item)


def _select(
    context: Context, value: Iterable[Any], args: tuple[Any, ...], kwargs: dict[str, Any],
    keep: bool, by_attribute: bool,
) -> Iterator[Any]:  # fmt: skip
    environment: Environment = context.environment
    transform: Callable[[Any], Any] = lambda item: item  # noqa: E731
    if by_attribute:
        if not args:
            raise FilterArgumentError("Missing parameter for attribute name")
        transform = make_attrgetter(environment, args[0])
        args = args[1:]
    if args:
        name, rest = args[0], args[1:]

        def test(item: Any) -> Any:
            return environment.call_test(name, item, rest, kwargs, context)

    else:
        test = bool  # type: ignore[assignment]
    if value:
        for item in value:
            if bool(test(transform(item))) is keep:
                yield item


@pass_context
def do_select(context: Context, value: Iterable[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Keep the items that pass a test (truthy ones without a test)."""
    return _select(context, value, args, kwargs, True, False)


@pass_context
def do_reject(context: Context, value: Iterable[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Drop the items that pass a test."""
    return _select(context, value, args, kwargs, False, False)


@pass_context
def do_selectattr(
    context: Context, value: Iterable[Any], *args: Any, **kwargs: Any
) -> Iterator[Any]:
    """Keep the items whose attribute passes a test."""
    return _select(context, value, args, kwargs, True, True)


@pass_context
def do_rejectattr(
    context: Context, value: Iterable[Any], *args: Any, **kwargs: Any
) -> Iterator[Any]:
    """Drop the items whose attribute passes a test."""
    return _select(context, value, args, kwargs, False, True)


#: Filters every Environment starts with.
DEFAULT_FILTERS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "attr": do_attr,
    "batch": do_batch,
    "capitalize": kernel.capitalize,
    "center": do_center,
    "count": len,
    "d": kernel.default,
    "default": kernel.default,
    "dictsort": do_dictsort,
    "e": escape,
    "escape": escape,
    "filesizeformat": do_filesizeformat,
    "first": pass_environment(kernel.first),
    "float": kernel.to_float,
    "forceescape": do_forceescape,
    "format": kernel.percent_format,
    "groupby": do_groupby,
    "indent": do_indent,
    "int": kernel.to_int,
    "items": do_items,
    "join": pass_eval_context(kernel.join),
    "last": pass_environment(kernel.last),
    "length": len,
    "list": do_list,
    "lower": kernel.lower,
    "map": do_map,
    "max": do_max,
    "min": do_min,
    "pprint": do_pprint,
    "random": do_random,
    "reject": do_reject,
    "rejectattr": do_rejectattr,
    "replace": pass_eval_context(kernel.replace),
    "reverse": do_reverse,
    "round": kernel.round_number,
    "safe": do_mark_safe,
    "select": do_select,
    "selectattr": do_selectattr,
    "slice": do_slice,
    "sort": do_sort,
    "string": soft_str,
    "striptags": kernel.striptags,
    "sum": do_sum,
    "title": kernel.title,
    "tojson": do_tojson,
    "trim": kernel.trim,
    "truncate": pass_environment(kernel.truncate),
    "unique": do_unique,
    "upper": kernel.upper,
    "urlencode": do_urlencode,
    "urlize": do_urlize,
    "wordcount": kernel.wordcount,
    "wordwrap": do_wordwrap,
    "xmlattr": do_xmlattr,
}
