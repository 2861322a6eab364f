"""Point a stylesheet's ``url(...)`` and ``@import`` references at fingerprinted names.

A fingerprinted stylesheet is cached for a year, so the images, fonts and
stylesheets it names must be fingerprinted too, or a browser keeps an old
stylesheet pointing at a file that has since changed under the same name.
collectstatic (:mod:`fastcore.staticfiles.collect`) rewrites the references
in the fingerprinted copy of each stylesheet, as Django's
ManifestStaticFilesStorage does; the copy under the original name keeps its
text.

Left as written: ``data:`` and other URLs with a scheme (``https:``),
protocol-relative ones (``//cdn...``), fragments alone (``#filter``),
absolute paths outside the static URL, and anything inside comments. Query
strings and fragments are kept.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple
from urllib.parse import quote, unquote

__all__ = ["Reference", "references", "resolve", "rewrite"]

# One pass over the text finds comments (to skip them), url() with or without
# quotes, and @import with a bare string (@import url(...) is a url()).
_TOKENS = re.compile(
    r"""
    (?P<comment>/\*.*?(?:\*/|\Z))
    | \burl\(\s*(?P<quote>["'])(?P<quoted>.*?)(?P=quote)\s*\)
    | \burl\(\s*(?P<bare>[^"'()\s]+)\s*\)
    | @import\s+(?P<iquote>["'])(?P<imported>.*?)(?P=iquote)
    """,
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


class Reference(NamedTuple):
    """One URL in a stylesheet: where it is in the text, and its line (from 1)."""

    start: int
    end: int
    url: str
    line: int


def references(text: str) -> Iterator[Reference]:
    """The URLs ``text`` references through ``url(...)`` and ``@import``, in order."""
    for match in _TOKENS.finditer(text):
        if match["comment"] is not None:
            continue
        for group in ("quoted", "bare", "imported"):
            if match[group] is not None:
                start, end = match.span(group)
                yield Reference(start, end, match[group], text.count("\n", 0, start) + 1)
                break


def resolve(url: str, stylesheet: str, static_url: str | None = None) -> str | None:
    """The static file ``url`` names, relative to the static root, or None if none.

    ``stylesheet`` is the referencing file's name in the root (``css/app.css``);
    relative URLs resolve against its folder. An absolute path resolves only
    under ``static_url`` (``/static``). None: not a local file to fingerprint.
    """
    path = url.partition("#")[0].partition("?")[0]
    if not path or _SCHEME.match(path) or path.startswith("//"):
        return None
    path = unquote(path)
    if path.startswith("/"):
        prefix = (static_url or "").rstrip("/") + "/"
        if static_url is None or not path.startswith(prefix):
            return None
        return posixpath.normpath(path[len(prefix) :])
    return posixpath.normpath(posixpath.join(posixpath.dirname(stylesheet), path))


def rewrite(
    text: str,
    stylesheet: str,
    fingerprinted: Callable[[str, Reference], str | None],
    static_url: str | None = None,
) -> str:
    """``text`` with each local reference's file name replaced by its fingerprinted one.

    ``fingerprinted(target, reference)`` returns the fingerprinted name of a
    file (``img/logo.5e2b7d0c41a9.png``), or None to leave the reference as
    it is (an unknown file; the callback reports it). The URL keeps its
    folder part, spelling, query string and fragment: only the last segment
    changes.
    """
    pieces: list[str] = []
    done = 0
    for reference in references(text):
        target = resolve(reference.url, stylesheet, static_url)
        if target is None:
            continue
        hashed = fingerprinted(target, reference)
        if hashed is None:
            continue
        url = reference.url
        path_end = min(i for i in (url.find("?"), url.find("#"), len(url)) if i >= 0)
        folder = url[: url.rfind("/", 0, path_end) + 1]
        pieces += [text[done : reference.start], folder, _quoted_name(hashed), url[path_end:]]
        done = reference.end
    pieces.append(text[done:])
    return "".join(pieces)


def _quoted_name(name: str) -> str:
    # NOTE: fingerprints are hex digits, so only characters of the original
    # name need percent-encoding here; the same ones a URL path needs.
    return quote(posixpath.basename(name), safe="!$&'()*+,;=:@~-._")
