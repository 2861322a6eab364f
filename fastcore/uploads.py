"""Uploaded files: spooled temporary storage and sanitized, untrusted metadata.

An :class:`UploadFile` is what a ``multipart/form-data`` file part becomes.
Its bytes live in a :class:`~tempfile.SpooledTemporaryFile`: in memory up to
a size, then in an anonymous temporary file on disk, so a large upload never
sits in memory whole. Everything the client said about the file (its name, its
content type) is kept, but as untrusted text: :attr:`UploadFile.filename` is a
sanitized base name safe to use in a path, the declared content type is named
as such, and nothing here trusts either.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from typing import IO

from fastcore.concurrency import run_in_threadpool
from fastcore.datastructures import Headers

__all__ = ["UploadFile", "sanitize_filename"]

#: The longest sanitized file name, in UTF-8 bytes (most file systems' limit).
MAX_FILENAME_BYTES = 255

# Device names Windows refuses as file names, whatever their extension.
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def sanitize_filename(name: str) -> str:
    """Reduce a client-supplied file name to a safe base name ("" if nothing is left).

    The result has no directory part (``/``, ``\\`` and their Unicode
    look-alikes are path separators here), no control or invisible format
    characters (NUL, bidi overrides, zero-width), no leading dots (no hidden
    files, no ``..``), no trailing dots or spaces, no Windows device names,
    and at most :data:`MAX_FILENAME_BYTES` bytes with its extension kept.
    It is still the client's choice of name: store files under names you
    generate when collisions or guessing matter.
    """
    # SECURITY: NFKC folds look-alikes (fullwidth solidus, one-dot leaders)
    # into the ASCII characters they imitate before separators are split on.
    name = unicodedata.normalize("NFKC", name).replace("\\", "/")
    name = name.rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = name.strip().lstrip(".").rstrip(". ").strip()
    stem, dot, extension = name.partition(".")
    if stem.upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension.encode("utf-8")) > 16:
            stem, dot, extension = name, "", ""
        budget = MAX_FILENAME_BYTES - len(f"{dot}{extension}".encode())
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ")
        name = f"{stem}{dot}{extension}"
    return name


class UploadFile:
    """A file sent in a multipart form, stored in a spooled temporary file.

    Attributes:
        field_name: The form field the file came in.
        filename: The sanitized base name (see :func:`sanitize_filename`);
            ``"upload"`` when the client's name had nothing usable in it.
        untrusted_filename: The name exactly as the client sent it. Display
            it escaped if at all; never build a path from it.
        declared_content_type: The part's ``Content-Type`` as the client
            declared it. Not checked against the bytes: inspect the content
            yourself before trusting what kind of file it is.
        headers: All headers of the part.
        size: The number of bytes received.
        file: The underlying binary file object (positioned at the start
            once the form is parsed).
    """

    __slots__ = (
        "field_name",
        "filename",
        "untrusted_filename",
        "declared_content_type",
        "headers",
        "size",
        "file",
    )

    def __init__(
        self,
        field_name: str,
        untrusted_filename: str,
        *,
        headers: Headers | None = None,
        spool_max_size: int = 1024 * 1024,
        directory: str | os.PathLike[str] | None = None,
    ) -> None:
        self.field_name = field_name
        self.untrusted_filename = untrusted_filename
        self.filename = sanitize_filename(untrusted_filename) or (
            "upload" if untrusted_filename else ""
        )
        self.headers = headers if headers is not None else Headers()
        self.declared_content_type = self.headers.get("content-type", "")
        self.size = 0
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(  # closed with the request
            max_size=spool_max_size, dir=os.fspath(directory) if directory is not None else None
        )

    @property
    def in_memory(self) -> bool:
        """Whether the content is still held in memory (not rolled over to disk)."""
        return not getattr(self.file, "_rolled", True)

    async def write(self, data: bytes) -> None:
        """Append ``data`` (off the event loop once the file is on disk)."""
        self.size += len(data)
        if self.in_memory:
            self.file.write(data)
        else:
            await run_in_threadpool(self.file.write, data)

    async def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left by default)."""
        if self.in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int) -> None:
        """Move to ``offset`` bytes from the start."""
        if self.in_memory:
            self.file.seek(offset)
        else:
            await run_in_threadpool(self.file.seek, offset)

    async def close(self) -> None:
        """Close the file and free its temporary storage."""
        self.file.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(field_name={self.field_name!r}, "
            f"filename={self.filename!r}, size={self.size})"
        )
