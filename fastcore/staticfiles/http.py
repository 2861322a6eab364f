"""HTTP validators, preconditions and byte ranges (RFC 9110 sections 8.8, 13 and 14).

Pure functions over header values, shared by static files, file downloads
and the conditional GET middleware: no I/O and no request objects, so each
rule is tested on its own.
"""

from __future__ import annotations

import email.utils
import hashlib
from collections.abc import Mapping, Sequence
from typing import NamedTuple

__all__ = [
    "MAX_RANGES",
    "ByteRange",
    "RangeNotSatisfiable",
    "choose_encoding",
    "etag_matches",
    "evaluate_preconditions",
    "http_date",
    "if_range_holds",
    "make_etag",
    "parse_accept_encoding",
    "parse_http_date",
    "parse_range",
]

#: More ranges than this in one request are answered with the whole
#: representation (RFC 9110 section 14.2 lets a server ignore Range; many
#: tiny or overlapping ranges are a known denial-of-service pattern).
MAX_RANGES = 16


class ByteRange(NamedTuple):
    """An inclusive byte range ``start``-``end`` of a representation."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    """No range of a valid ``Range`` header overlaps the representation (answer 416)."""


def http_date(timestamp: float) -> str:
    """An IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``) of a Unix time."""
    return email.utils.formatdate(timestamp, usegmt=True)


def parse_http_date(value: str) -> float | None:
    """The Unix time of an HTTP date, or None when it is not one (then it is ignored)."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return None  # RFC 9110 section 5.6.7: HTTP dates are always GMT
    return parsed.timestamp()


def make_etag(data: bytes | None = None, *, size: int = 0, mtime_ns: int = 0) -> str:
    """A strong entity tag: a content hash of ``data``, or one from a file's size and mtime."""
    if data is not None:
        return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    return f'"{size:x}-{mtime_ns:x}"'


def _entity_tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(header: str, etag: str, *, weak: bool = True) -> bool:
    """Whether an ``If-None-Match`` / ``If-Match`` list names ``etag``.

    ``weak`` comparison (If-None-Match) ignores the ``W/`` prefix; strong
    comparison (If-Match, If-Range) never matches a weak tag.
    """
    if header.strip() == "*":
        return True
    for tag in _entity_tags(header):
        if weak:
            if _opaque(tag) == _opaque(etag):
                return True
        elif tag == etag and not tag.startswith("W/"):
            return True
    return False


def evaluate_preconditions(
    method: str, headers: Mapping[str, str], etag: str | None, last_modified: float | None
) -> int | None:
    """The status a conditional request ends with (304 or 412), or None to go on.

    RFC 9110 section 13.2.2's order: If-Match, else If-Unmodified-Since;
    then If-None-Match, else If-Modified-Since (GET and HEAD only).
    """
    if_match = headers.get("if-match")
    if if_match is not None:
        if etag is None or not etag_matches(if_match, etag, weak=False):
            return 412
    else:
        since = headers.get("if-unmodified-since")
        moment = parse_http_date(since) if since is not None else None
        if moment is not None and last_modified is not None and int(last_modified) > moment:
            return 412
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if etag is not None and etag_matches(if_none_match, etag):
            return 304 if method in ("GET", "HEAD") else 412
        return None
    if method in ("GET", "HEAD"):
        since = headers.get("if-modified-since")
        moment = parse_http_date(since) if since is not None else None
        if moment is not None and last_modified is not None and int(last_modified) <= moment:
            return 304
    return None


def if_range_holds(value: str, etag: str | None, last_modified: float | None) -> bool:
    """Whether an ``If-Range`` validator still names the current representation.

    An entity tag must match strongly; a date must equal Last-Modified
    exactly (section 13.1.5). A stale validator means "send it all" (200).
    """
    value = value.strip()
    if value.startswith('"') or value.startswith("W/"):
        return etag is not None and etag_matches(value, etag, weak=False)
    moment = parse_http_date(value)
    return moment is not None and last_modified is not None and int(last_modified) == moment


def _parse_spec(spec: str, size: int) -> ByteRange | None | bool:
    # One range-spec: a ByteRange, None if it lies past the end, False if malformed.
    first, dash, last = spec.partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return False
    if not first.isascii() or not last.isascii():
        return False
    if first == "":
        if last == "":
            return False
        suffix = int(last)
        if suffix == 0:
            return None
        return ByteRange(max(size - suffix, 0), size - 1) if size else None
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return False
    if start >= size:
        return None
    return ByteRange(start, min(end, size - 1))


def parse_range(header: str, size: int) -> list[ByteRange] | None:
    """The ranges of a ``Range`` header over ``size`` bytes, sorted and coalesced.

    Returns None when the header must be ignored (another unit, bad syntax,
    more than :data:`MAX_RANGES` ranges): the whole representation is sent.
    Raises :class:`RangeNotSatisfiable` when none of the ranges overlaps it.
    """
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    parts = specs.split(",")
    if len(parts) > MAX_RANGES:
        return None
    ranges: list[ByteRange] = []
    for part in parts:
        parsed = _parse_spec(part, size)
        if parsed is False:
            return None
        if isinstance(parsed, ByteRange):
            ranges.append(parsed)
    if not ranges:
        raise RangeNotSatisfiable
    ranges.sort()
    merged = [ranges[0]]
    for current in ranges[1:]:
        previous = merged[-1]
        if current.start <= previous.end + 1:
            merged[-1] = ByteRange(previous.start, max(previous.end, current.end))
        else:
            merged.append(current)
    return merged


def parse_accept_encoding(header: str) -> dict[str, float]:
    """The codings of an ``Accept-Encoding`` value and their q-values (lower-cased).

    A malformed q-value counts as 0 (not acceptable): a client that cannot
    say what it accepts gets the identity coding.
    """
    accepted: dict[str, float] = {}
    for item in header.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
                if not 0.0 <= quality <= 1.0 or quality != quality:
                    quality = 0.0
        accepted[coding] = quality
    return accepted


def choose_encoding(header: str | None, available: Sequence[str]) -> str | None:
    """The content coding to send: the client's highest q-value among ``available``.

    ``available`` is in the server's order of preference, which breaks ties.
    None means identity (no header, nothing acceptable, or only ``identity``).
    """
    if not header:
        return None
    accepted = parse_accept_encoding(header)
    wildcard = accepted.get("*", 0.0)
    best: str | None = None
    best_quality = 0.0
    for coding in available:
        quality = accepted.get(coding, wildcard)
        if coding == "gzip" and "gzip" not in accepted:
            quality = accepted.get("x-gzip", quality)
        if quality > best_quality:
            best, best_quality = coding, quality
    return best
