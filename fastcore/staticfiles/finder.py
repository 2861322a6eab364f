"""Map a URL path to a file under a root, refusing every way out of it.

The router's ``path`` converter already refuses ``..`` and NUL; this is the
second wall, applied to the decoded path the handler receives:

- only plain segments: no empty, ``.`` or ``..`` segment, no backslash
  (a separator on Windows, and a traversal spelling some proxies normalize),
  no NUL or other control character, no drive letter;
- no hidden file or folder (a segment starting with ``.``: ``.env``,
  ``.git/``), unless allowed;
- the real path (symlinks resolved) must stay under the real root: a
  symlink pointing out of the root is a 404, one inside it works;
- only regular files are served (a directory is a 404: no listing, no index).
"""

from __future__ import annotations

import os

__all__ = ["resolve_under"]


def _plain_segments(relative: str, allow_hidden: bool) -> list[str] | None:
    if not relative or len(relative) > 4096:
        return None
    if any(ch < " " or ch == "\x7f" or ch == "\\" for ch in relative):
        return None
    segments = relative.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            return None
        if segment.startswith(".") and not allow_hidden:
            return None
        if ":" in segment and os.name == "nt":  # pragma: no cover - drive letters, streams
            return None
    return segments


def resolve_under(root: str, relative: str, *, allow_hidden: bool = False) -> str | None:
    """The real path of ``relative`` under the real directory ``root``, or None.

    ``root`` must already be a real path (``os.path.realpath``). None means
    "not found": the caller answers 404 and says nothing about why.
    """
    segments = _plain_segments(relative, allow_hidden)
    if segments is None:
        return None
    real = os.path.realpath(os.path.join(root, *segments))
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        return None  # SECURITY: a symlink leading out of the root
    if not allow_hidden:
        inside = os.path.relpath(real, root).split(os.sep)
        if any(part.startswith(".") for part in inside):
            return None  # a symlink to a hidden file inside the root
    return real
