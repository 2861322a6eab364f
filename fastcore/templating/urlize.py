"""The ``urlize`` filter: turn the URLs and e-mail addresses of a text into links.

The recognition rules are Jinja 3.1's, so a template gets the same markup
from both engines: the text is escaped first, split at whitespace, and each
word loses its leading ``(`` / ``<`` and trailing ``.,)>`` punctuation
(brackets the word itself opened stay in it) before it is tested as a web
address, a ``mailto:`` link, a bare e-mail address, or a URL of one of the
extra schemes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .runtime import escape

__all__ = ["URI_SCHEME_RE", "urlize"]

#: What an ``extra_schemes`` entry must look like: ``ftp:``, ``ftp://``, ``tel:``.
URI_SCHEME_RE = re.compile(r"[\w.+-]{2,}:/{0,2}")

_SPACE_SPLIT_RE = re.compile(r"(\s+)")
_LEADING_RE = re.compile(r"(?:[(<]|&lt;)+")
_TRAILING_RE = re.compile(r"(?:[)>.,\n]|&gt;)+$")
_TRAILING_CHARS = (")", ">", ".", ",", "\n", "&gt;")
_PAIRS = (("(", ")"), ("<", ">"), ("&lt;", "&gt;"))

_HOST = r"""
    (?:https?://|www\.) (?:[\w%-]+\.)* (?:[a-z]{2,63} | xn--[\w%]{2,59})
  | (?:[\w%-]{2,63}\.)+ (?:com|net|int|edu|gov|org|info|mil)
  | https?:// (?: \d{1,3}(?:\.\d{1,3}){3} | \[(?:[\da-f]{0,4}:){2}(?:[\da-f]{0,4}:?){1,6}\] )
"""
_WEB_ADDRESS_RE = re.compile(
    rf"(?:{_HOST}) (?::\d{{1,5}})? (?:[/?\#]\S*)?", re.IGNORECASE | re.VERBOSE
)
_EMAIL_RE = re.compile(r"\S+@\w[\w.-]*\.\w+")


def _split_punctuation(word: str) -> tuple[str, str, str]:
    """Split a word into (leading punctuation, candidate, trailing punctuation)."""
    head = tail = ""
    leading = _LEADING_RE.match(word)
    if leading is not None:
        head, word = leading.group(), word[leading.end() :]
    # PERF: the cheap endswith check spares the regex (and its backtracking)
    # on the words that end in a letter.
    if word.endswith(_TRAILING_CHARS):
        trailing = _TRAILING_RE.search(word)
        if trailing is not None:
            tail, word = trailing.group(), word[: trailing.start()]
    # A closing bracket the candidate itself opened belongs to it: "(see x)".
    for opener, closer in _PAIRS:
        missing = word.count(opener) - word.count(closer)
        for _ in range(min(missing, tail.count(closer))):
            cut = tail.index(closer) + len(closer)
            word, tail = word + tail[:cut], tail[cut:]
    return head, word, tail


def _link(
    word: str, attributes: str, trim_url_limit: int | None, extra_schemes: tuple[str, ...]
) -> str:
    if _WEB_ADDRESS_RE.fullmatch(word) is not None:
        shown = word
        if trim_url_limit is not None and len(shown) > trim_url_limit:
            shown = shown[:trim_url_limit] + "..."
        href = word if word.startswith(("https://", "http://")) else "https://" + word
        return f'<a href="{href}"{attributes}>{shown}</a>'
    if word.startswith("mailto:"):
        if _EMAIL_RE.fullmatch(word, 7) is not None:
            return f'<a href="{word}">{word[7:]}</a>'
    elif (
        "@" in word
        and ":" not in word
        and not word.startswith(("www.", "@"))
        and _EMAIL_RE.fullmatch(word) is not None
    ):
        return f'<a href="mailto:{word}">{word}</a>'
    for scheme in extra_schemes:
        if word != scheme and word.startswith(scheme):
            return f'<a href="{word}"{attributes}>{word}</a>'
    return word


def urlize(
    text: str,
    trim_url_limit: int | None = None,
    rel: str | None = None,
    target: str | None = None,
    extra_schemes: Iterable[str] | None = None,
) -> str:
    """Return ``text`` escaped, with its URLs and e-mail addresses as ``<a>`` links.

    Args:
        text: The text (escaped unless it is Markup).
        trim_url_limit: Shorten the shown text of web links to this many characters.
        rel: The ``rel`` attribute of web links.
        target: The ``target`` attribute of web links.
        extra_schemes: More URL prefixes to link (``"ftp://"``, ``"tel:"``).
    """
    attributes = ""
    if rel:
        attributes += f' rel="{escape(rel)}"'
    if target:
        attributes += f' target="{escape(target)}"'
    schemes = tuple(extra_schemes or ())
    words = _SPACE_SPLIT_RE.split(str(escape(text)))
    # Odd positions are the whitespace runs between words.
    for index in range(0, len(words), 2):
        head, word, tail = _split_punctuation(words[index])
        words[index] = head + _link(word, attributes, trim_url_limit, schemes) + tail
    return "".join(words)
