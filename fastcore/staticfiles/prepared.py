"""Answers of small static files encoded once: one lookup and one ``stat`` per request.

A collected file that is kept in memory (:class:`~fastcore.staticfiles.files.FileCache`)
gets its ``200`` and ``304`` heads encoded once (Content-Type, ETag,
Last-Modified, Cache-Control, Accept-Ranges, Vary, Content-Encoding) as
:class:`~fastcore.responses.PreparedHeaders`. A later request
for the same name with the same ``Accept-Encoding`` is answered from them: a
``stat``, at most once per ``recheck_after`` seconds, says the file is still
the one read (modification time, size and inode), the conditional headers
pick 200 or 304, and the writer copies the
encoded head and the body into the one buffer it writes. Ranges, ``HEAD``,
``412`` and a file that changed take the full path (``files.file_response``),
which also prepares the file again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from fastcore.responses import PreparedHeaders, Response, prepared_response
from fastcore.staticfiles.files import _File
from fastcore.staticfiles.http import evaluate_preconditions

__all__ = ["PreparedFile", "PreparedFiles"]

# The request headers a prepared answer can settle by itself; any other
# (Range, If-Range) takes the full path.
_SETTLED = frozenset(
    {"accept-encoding", "if-match", "if-modified-since", "if-none-match", "if-unmodified-since"}
)


class PreparedFile:
    """The encoded ``200`` and ``304`` answers of one file in memory."""

    __slots__ = (
        "body",
        "checked_until",
        "etag",
        "last_modified",
        "not_modified",
        "ok",
        "path",
        "recheck_after",
        "signature",
    )

    def __init__(
        self,
        path: str,
        opened: _File,
        media_type: str,
        headers: Mapping[str, str],
        recheck_after: float = 0.0,
    ) -> None:
        assert opened.data is not None  # only files kept in memory are prepared
        self.path = path
        self.recheck_after = recheck_after
        self.checked_until = time.monotonic() + recheck_after
        self.body = opened.data
        self.signature = opened.signature
        self.etag = opened.etag
        self.last_modified = opened.last_modified
        validators = {"etag": opened.etag, "last-modified": opened.last_modified_text}
        # The same headers as files.file_response gives (tests compare the two).
        self.not_modified = PreparedHeaders({**validators, **headers})
        self.ok = PreparedHeaders(
            {"content-type": media_type, **validators, **headers, "accept-ranges": "bytes"}
        )

    def answer(self, conditions: Mapping[str, str]) -> Response | None:
        """The answer to a GET with these ``conditions``, or None for the full path."""
        now = time.monotonic()
        if now >= self.checked_until:
            # PERF: a stat is the costliest step of the answer (a system
            # call, ~1.5 us here); files seen unchanged go without one for
            # recheck_after seconds (bench/static/callgrind_static.py).
            try:
                info = os.stat(self.path)
            except OSError:
                return None
            if (info.st_mtime_ns, info.st_size, info.st_ino) != self.signature:
                return None  # changed: read and prepared again
            self.checked_until = now + self.recheck_after
        if len(conditions) > ("accept-encoding" in conditions):
            if not _SETTLED.issuperset(conditions):
                return None
            verdict = evaluate_preconditions("GET", conditions, self.etag, self.last_modified)
            if verdict == 304:
                return prepared_response(Response, 304, b"", self.not_modified)
            if verdict is not None:
                return None  # 412, with the full path's headers
        return prepared_response(Response, 200, self.body, self.ok)


class PreparedFiles:
    """Prepared answers by (requested name, ``Accept-Encoding``), bounded.

    Past ``max_entries`` names or ``max_bytes`` of bodies the table starts
    over (the file cache still holds the bytes; preparing again is cheap).
    """

    def __init__(self, *, max_entries: int = 4096, max_bytes: int = 32 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._answers: dict[tuple[str, str | None], PreparedFile] = {}
        self._bytes = 0

    def get(self, key: tuple[str, str | None]) -> PreparedFile | None:
        """The prepared file for ``key``, if any."""
        return self._answers.get(key)

    def put(self, key: tuple[str, str | None], prepared: PreparedFile) -> None:
        """Keep ``prepared`` for ``key`` (replacing what was kept for it)."""
        previous = self._answers.pop(key, None)
        if previous is not None:
            self._bytes -= len(previous.body)
        if (
            len(self._answers) >= self.max_entries
            or self._bytes + len(prepared.body) > self.max_bytes
        ):
            self._answers.clear()
            self._bytes = 0
        self._answers[key] = prepared
        self._bytes += len(prepared.body)
