"""Build URLs back from parsed patterns: ``url_for`` and its encoding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastcore.exceptions import RouteError
from fastcore.routing.rules import Param, ParsedPattern

__all__ = ["URLBuildError", "build_path", "quote_segment"]

# RFC 3986 section 3.3: a segment may hold pchar = unreserved / pct-encoded /
# sub-delims / ":" / "@" unencoded. quote() already keeps letters, digits and
# "_.-~"; everything else, "/" and "%" included, is percent-encoded as UTF-8.
_SEGMENT_SAFE = "!$&'()*+,;=:@"


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
