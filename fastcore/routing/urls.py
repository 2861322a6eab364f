"""Build URLs back from parsed patterns: ``url_for`` and its encoding."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from fastcore.exceptions import RouteError
from fastcore.routing.converters import BUILTIN_CONVERTERS
from fastcore.routing.rules import Param, ParsedPattern

__all__ = ["URLBuildError", "URLBuilder", "build_path", "quote_segment"]

# RFC 3986 section 3.3: a segment may hold pchar = unreserved / pct-encoded /
# sub-delims / ":" / "@" unencoded. quote() already keeps letters, digits and
# "_.-~"; everything else, "/" and "%" included, is percent-encoded as UTF-8.
_SEGMENT_SAFE = "!$&'()*+,;=:@"
# Every character a segment may hold unencoded (ASCII letters and digits,
# "-._~" and the sub-delims above): a value made only of these is its own
# encoding.
_PCHAR = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@"
)
_SLUG = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What a prepared builder may write into its source: encoded static text.
_ENCODED_STATIC = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")


class URLBuildError(RouteError, LookupError):
    """A URL cannot be built: unknown route name, or missing, extra or bad params."""


def quote_segment(text: str) -> str:
    """Percent-encode one decoded path segment.

    ``"."`` and ``".."`` are encoded too (``%2E``), because clients remove dot
    segments before sending (RFC 3986 section 5.2.4) and the URL would change.
    """
    if text == "." or text == "..":
        return text.replace(".", "%2E")
    return quote(text, safe=_SEGMENT_SAFE)


def _encode(param: Param, value: Any, route: str) -> str:
    try:
        text = param.converter.to_url(value)
    except (ValueError, TypeError) as exc:
        raise URLBuildError(
            f"cannot build {route}: parameter {param.name!r} ({param.converter_name}): {exc}"
        ) from None
    if param.converter.kind == "path":
        return "/".join(quote_segment(part) for part in text.split("/"))
    return quote_segment(text)


def build_path(parsed: ParsedPattern, params: Mapping[str, Any], route: str) -> str:
    """Return the percent-encoded path of ``parsed`` with ``params`` filled in.

    Args:
        parsed: The route's pattern.
        params: A value for every parameter, and nothing else.
        route: How to name the route in error messages.

    Raises:
        URLBuildError: A parameter is missing, unexpected, or refused by its
            converter's ``to_url``.
    """
    names = [param.name for param in parsed.params]
    missing = [name for name in names if name not in params]
    extra = sorted(set(params) - set(names))
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"missing parameter(s) {', '.join(missing)}")
        if extra:
            problems.append(f"unexpected parameter(s) {', '.join(extra)}")
        raise URLBuildError(f"cannot build {route}: {'; '.join(problems)}")
    parts = [
        _encode(segment, params[segment.name], route)
        if isinstance(segment, Param)
        else quote_segment(segment)
        for segment in parsed.segments
    ]
    return "/" + "/".join(parts)


# The checks a plain, valid value passes without quoting, inlined into each
# route's generated builder ({v} is the value's local name). A value that
# fails one goes through the converter's to_url and quote_segment, which also
# raise the errors. type() refuses subclasses (a str subclass may format
# itself differently; bool is not an int for IntConverter).
# PERF: isalnum() answers most values in one C call; the set is for the rest
# (bench/micro/callgrind_router.py: url_for).
_PLAIN_CHECKS = {
    "str": (
        "type({v}) is str and {v}.isascii() and ({v}.isalnum() or ({v}"
        " and _PCHAR.issuperset({v}) and {v} != '.' and {v} != '..'))"
    ),
    "slug": (
        "type({v}) is str and {v}.isascii() and ({v}.isalnum() or ({v} and _SLUG.issuperset({v})))"
    ),
    "int": "type({v}) is int and {v} >= 0",
}


class URLBuilder:
    """One route's path builder, prepared once so that ``url_for`` only fills values in.

    The static text is percent-encoded ahead of time, and the route gets a
    small generated function that reads each parameter, checks the common
    valid values inline (a plain ``str``, ``slug`` or non-negative ``int``
    needs no quoting) and formats the path in one f-string. Anything else goes
    through the converter's ``to_url`` and :func:`quote_segment`, exactly as
    :func:`build_path` does, and a missing or unexpected parameter is left to
    :func:`build_path`, so the errors are the same.

    Args:
        parsed: The route's pattern.
        route: How to name the route in error messages (a callable, so that
            the text is only made when an error is raised).
    """

    __slots__ = ("_parsed", "_route", "build")

    def __init__(self, parsed: ParsedPattern, route: Callable[[], str]) -> None:
        self._parsed = parsed
        self._route = route
        self.build: Callable[[Mapping[str, Any]], str] = self._compile()

    def _slow(self, params: Mapping[str, Any]) -> str:
        return build_path(self._parsed, params, self._route())

    def _encode(self, param: Param, value: Any) -> str:
        return _encode(param, value, self._route())

    def _compile(self) -> Callable[[Mapping[str, Any]], str]:
        # PERF: names and static text are literals in the source (a global
        # lookup per piece costs more than the formatting). Both are checked
        # first: names are identifiers (rules.py) and encoded static text is
        # only pchar and "%", so neither can change the generated code.
        namespace: dict[str, Any] = {
            "_PCHAR": _PCHAR,
            "_SLUG": _SLUG,
            "_slow": self._slow,
            "_encode": self._encode,
        }
        reads: list[str] = []
        checks: list[str] = []
        pieces: list[str] = []
        for index, segment in enumerate(self._parsed.segments):
            if not isinstance(segment, Param):
                pieces.append("/" + quote_segment(segment))
                continue
            if not _IDENTIFIER.fullmatch(segment.name):
                raise RouteError(f"bad parameter name {segment.name!r}")
            value = f"v{index}"
            namespace[f"p{index}"] = segment
            pieces += ["/", f"{{{value}}}"]
            reads.append(f"        {value} = params[{segment.name!r}]")
            kind = segment.converter.kind
            check = _PLAIN_CHECKS.get(kind)
            # Only the built-in converters themselves: a subclass may have
            # its own to_url.
            if check is None or BUILTIN_CONVERTERS.get(kind) is not segment.converter:
                checks.append(f"    {value} = _encode(p{index}, {value})")
                continue
            checks.append(f"    if not ({check.format(v=value)}):")
            checks.append(f"        {value} = _encode(p{index}, {value})")
            if kind == "int":
                checks.append("    else:")
                checks.append(f"        {value} = str({value})")
        for piece in pieces:
            if not piece.startswith("{") and not _ENCODED_STATIC.fullmatch(piece):
                raise RouteError(f"cannot prepare a URL builder for {self._parsed.pattern!r}")
        lines = ["def build(params):", f"    if len(params) != {len(reads)}:"]
        lines.append("        return _slow(params)")
        if reads:
            lines += ["    try:", *reads, "    except KeyError:", "        return _slow(params)"]
        lines += checks
        lines.append(f'    return f"{"".join(pieces)}"')
        source = "\n".join(lines)
        code = compile(source, f"<url builder for {self._parsed.pattern!r}>", "exec")
        exec(code, namespace)  # noqa: S102 (generated from the fixed templates above)
        build: Callable[[Mapping[str, Any]], str] = namespace["build"]
        return build
