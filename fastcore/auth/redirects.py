"""Safe redirect targets: only same-site relative paths are followed.

A ``next`` parameter is attacker-controlled. :func:`safe_next` keeps it only
when it is a path on this site (``/notes?page=2``), and refuses everything a
browser would take to another host: absolute URLs, scheme-relative ``//evil``,
backslash tricks (``/\\evil``, which browsers read as ``//evil``), control
characters, and ``javascript:`` or other schemes.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

__all__ = ["login_redirect_url", "safe_next"]


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` when it is a same-site relative path, else ``default``."""
    if not target or len(target) > 2000:
        return default
    # SECURITY: browsers strip tabs/newlines and treat "\" as "/" in URLs
    # (WHATWG URL standard), so any of them could turn "/\evil" into "//evil".
    if any(ord(char) < 0x21 or char == "\\" or ord(char) == 0x7F for char in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def login_redirect_url(login_url: str, next_path: str) -> str:
    """``login_url`` with ``?next=<next_path>``."""
    separator = "&" if "?" in login_url else "?"
    return f"{login_url}{separator}{urlencode({'next': next_path})}"
