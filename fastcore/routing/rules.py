"""Parse route patterns such as ``/users/{user_id:int}`` into segments.

Grammar (patterns are written in decoded form; the router percent-decodes
requests, so write ``/café``, never ``/caf%C3%A9``)::

    pattern   = "/" [ segment *( "/" segment ) ]      ; a trailing "/" is kept
    segment   = static / "{" name [ ":" converter ] "}"
    name      = identifier                              ; unique in a pattern
    converter = identifier                              ; "str" when omitted

A parameter fills a whole segment. ``path`` parameters take the rest of the
path and must come last. Errors raise :class:`fastcore.exceptions.RouteError`
naming the pattern and the offending column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fastcore.exceptions import RouteError
from fastcore.routing.converters import Converter, get_converter

__all__ = ["Param", "ParsedPattern", "join_patterns", "parse_pattern"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# NOTE: "%" is refused so nobody writes an encoded pattern that would then
# only match a doubly encoded request; "?" and "#" would never reach a router.
_FORBIDDEN_STATIC = frozenset("%?#{}")


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter segment: its name and converter."""

    name: str
    converter_name: str
    converter: Converter


@dataclass(frozen=True, slots=True)
class ParsedPattern:
    """A pattern split into segments (``str`` for static text, else Param).

    ``"/"`` is one empty static segment and a trailing slash is a final empty
    one, so ``/a`` and ``/a/`` are different routes.
    """

    pattern: str
    segments: tuple[str | Param, ...]

    @property
    def params(self) -> tuple[Param, ...]:
        """The parameters, in order."""
        return tuple(segment for segment in self.segments if isinstance(segment, Param))

    @property
    def is_static(self) -> bool:
        """Whether the pattern has no parameter."""
        return not self.params

    @property
    def shape(self) -> tuple[str | tuple[str], ...]:
        """The segments with parameter names erased (two equal shapes collide)."""
        return tuple(
            (segment.converter_name,) if isinstance(segment, Param) else segment
            for segment in self.segments
        )


def _fail(pattern: str, column: int, message: str) -> RouteError:
    return RouteError(f"bad route pattern {pattern!r} at column {column}: {message}")


def _parse_param(
    pattern: str, text: str, column: int, extra: Mapping[str, Converter] | None
) -> Param:
    body = text[1:-1]
    name, colon, converter_name = body.partition(":")
    if not name:
        raise _fail(pattern, column, "empty parameter name")
    if not _IDENTIFIER.fullmatch(name):
        raise _fail(pattern, column, f"parameter name {name!r} is not an identifier")
    if colon and not converter_name:
        raise _fail(pattern, column, f"empty converter after {name!r}:")
    converter_name = converter_name or "str"
    try:
        converter = get_converter(converter_name, extra)
    except RouteError as exc:
        raise _fail(pattern, column, str(exc)) from None
    return Param(name, converter_name, converter)


def parse_pattern(pattern: str, converters: Mapping[str, Converter] | None = None) -> ParsedPattern:
    """Split and validate a route pattern.

    Args:
        pattern: For example ``/users/{user_id:int}/files/{rest:path}``.
        converters: Router-local converters (the global registry is searched too).

    Raises:
        RouteError: Bad syntax (no leading ``/``, empty segment, unbalanced or
            misplaced braces, empty or duplicate parameter name, a parameter
            that does not fill its segment, ``path`` not last) or an unknown
            converter.
    """
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        raise RouteError(f"bad route pattern {pattern!r}: it must be a str starting with '/'")
    segments: list[str | Param] = []
    seen: set[str] = set()
    column = 2  # 1-based position of the first segment, after the leading "/"
    parts = pattern[1:].split("/")
    for index, text in enumerate(parts):
        last = index == len(parts) - 1
        if not text and not last:
            raise _fail(pattern, column, "empty segment ('//')")
        if segments and isinstance(segments[-1], Param) and segments[-1].converter_name == "path":
            raise _fail(pattern, column, "a {name:path} parameter must be the last segment")
        if text.startswith("{") and text.endswith("}") and text.count("{") == 1 == text.count("}"):
            param = _parse_param(pattern, text, column, converters)
            if param.name in seen:
                raise _fail(pattern, column, f"duplicate parameter name {param.name!r}")
            seen.add(param.name)
            segments.append(param)
        elif "{" in text or "}" in text:
            offset = column + min(i for i in (text.find("{"), text.find("}")) if i >= 0)
            raise _fail(
                pattern,
                offset,
                "unbalanced brace, or a parameter that does not fill its whole segment",
            )
        else:
            if text in (".", ".."):
                # Clients remove dot segments before sending (RFC 3986 5.2.4).
                raise _fail(pattern, column, f"a {text!r} segment can never be requested")
            bad = [c for c in text if c in _FORBIDDEN_STATIC or not c.isprintable()]
            if bad:
                raise _fail(
                    pattern, column + text.index(bad[0]), f"character {bad[0]!r} in static text"
                )
            segments.append(text)
        column += len(text) + 1
    return ParsedPattern(pattern, tuple(segments))


def join_patterns(prefix: ParsedPattern, route: ParsedPattern) -> ParsedPattern:
    """Return ``route`` mounted under ``prefix`` (``/api`` + ``/users``).

    ``prefix`` must not end with ``/``; ``/api`` + ``/`` gives ``/api/``.

    Raises:
        RouteError: The prefix ends with ``/`` or a ``path`` parameter, or a
            parameter name appears in both.
    """
    if prefix.segments[-1] == "":
        raise RouteError(f"route prefix {prefix.pattern!r} must not end with '/'")
    last = prefix.segments[-1]
    if isinstance(last, Param) and last.converter_name == "path":
        raise RouteError(f"route prefix {prefix.pattern!r} cannot end with a path parameter")
    shared = {p.name for p in prefix.params} & {p.name for p in route.params}
    if shared:
        raise RouteError(
            f"prefix {prefix.pattern!r} and pattern {route.pattern!r} both define "
            f"parameter(s) {', '.join(sorted(shared))}"
        )
    return ParsedPattern(prefix.pattern + route.pattern, prefix.segments + route.segments)
