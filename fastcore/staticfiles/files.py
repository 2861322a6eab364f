"""File responses: a file from disk with validators and ranges, and downloads.

:func:`send_file` answers a request with a file: ``ETag`` and
``Last-Modified``, ``304`` / ``412`` for conditional requests, ``Range``
(one range, or several as ``multipart/byteranges``) with ``206`` / ``416``
and ``If-Range``, ``HEAD``. :func:`attachment` sends bytes, text or a stream
as a download, with an RFC 6266 ``Content-Disposition``.

How the bytes travel: a file up to :data:`BUFFER_LIMIT` is read into one
buffer (in a worker thread above :data:`INLINE_READ_LIMIT`; static files up
to :data:`MEMORY_LIMIT` once, then kept by :class:`FileCache`) and written
with its ``Content-Length`` in one write, like any response; a larger one is read
in :data:`CHUNK_SIZE` chunks in a worker thread and streamed after its
``Content-Length`` (``StreamingResponse(content_length=...)``), the
transport's flow control pacing the reads. There is no ``sendfile``: uvloop
implements no ``loop.sendfile`` and its transports own the socket, so the
bytes pass through user space once. The descriptor opened for the
validators is the one read, so a file replaced while it is served is sent
whole as it was; one truncated in place cuts the connection (the client
sees an incomplete body, never a wrong one).
"""

from __future__ import annotations

import functools
import mimetypes
import os
import secrets
import stat
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import IO, Any
from urllib.parse import quote

from fastcore.concurrency import run_in_threadpool
from fastcore.exceptions import HTTPException
from fastcore.responses import Response, StreamingResponse
from fastcore.staticfiles.http import (
    ByteRange,
    RangeNotSatisfiable,
    evaluate_preconditions,
    http_date,
    if_range_holds,
    make_etag,
    parse_range,
)

__all__ = [
    "BUFFER_LIMIT",
    "CHUNK_SIZE",
    "FileCache",
    "INLINE_READ_LIMIT",
    "MEMORY_LIMIT",
    "attachment",
    "content_disposition",
    "guess_media_type",
    "send_file",
]

#: Files up to this size are read on the event loop (a page-cache copy).
INLINE_READ_LIMIT = 64 * 1024
#: Files up to this size are sent from one buffer with a Content-Length.
BUFFER_LIMIT = 4 * 1024 * 1024
#: The read size of larger files, streamed chunked.
CHUNK_SIZE = 256 * 1024

# Text types whose Content-Type carries the charset (the files are read as
# UTF-8 by the browser only if told so).
_CHARSET_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
        "text/javascript",
    }
)
# Types the mimetypes table of some systems lacks or gets wrong.
_EXTRA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
    ".webmanifest": "application/manifest+json",
    ".map": "application/json",
    ".avif": "image/avif",
}


@functools.lru_cache(maxsize=4096)
def guess_media_type(name: str, charset: str = "utf-8") -> str:
    """The Content-Type of a file name, with ``charset`` for text types."""
    extension = os.path.splitext(name)[1].lower()
    media_type = _EXTRA_TYPES.get(extension) or mimetypes.guess_type(name)[0]
    if media_type is None:
        return "application/octet-stream"
    if media_type.startswith("text/") or media_type in _CHARSET_TYPES:
        return f"{media_type}; charset={charset}"
    return media_type


# RFC 5987 attr-char: what may stay unescaped in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A ``Content-Disposition`` value per RFC 6266 for ``filename``.

    The plain ``filename`` parameter holds an ASCII fallback (quotes,
    backslashes and control characters replaced); a name that is not plain
    ASCII is also given exactly as ``filename*=UTF-8''...`` (RFC 8187), which
    browsers prefer. Path separators are dropped: a download name is a name.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f")
    if not name:
        raise ValueError(f"no file name left in {filename!r}")
    kind = "inline" if inline else "attachment"
    fallback = "".join(ch if " " <= ch < "\x7f" and ch not in '"\\%' else "_" for ch in name)
    value = f'{kind}; filename="{fallback}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe=_ATTR_CHARS)
    return value


def attachment(
    content: bytes | str | AsyncIterable[bytes | str] | Iterable[bytes | str],
    filename: str,
    *,
    media_type: str | None = None,
    inline: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A download of ``content`` (bytes, text, or a sync or async stream) named ``filename``.

    The media type defaults to the one the name suggests. For a file on
    disk, use :func:`send_file` with ``download_name`` (ranges, validators).
    """
    pairs = [("content-disposition", content_disposition(filename, inline=inline))]
    pairs.extend((headers or {}).items())
    media = media_type or guess_media_type(filename)
    if isinstance(content, bytes | str):
        return Response(content, headers=pairs, media_type=media)
    return StreamingResponse(content, headers=pairs, media_type=media)


class _File:
    """A regular file and its validators: an open descriptor, or bytes read before."""

    __slots__ = (
        "data",
        "etag",
        "handle",
        "last_modified",
        "last_modified_text",
        "signature",
        "size",
    )

    def __init__(self, handle: IO[bytes] | None, info: os.stat_result, data: bytes | None = None):
        self.handle = handle
        self.data = data
        self.size = info.st_size
        # What says the file is still the one described (see FileCache).
        self.signature = (info.st_mtime_ns, info.st_size, info.st_ino)
        self.last_modified = float(int(info.st_mtime))
        self.last_modified_text = http_date(self.last_modified)
        self.etag = make_etag(size=info.st_size, mtime_ns=info.st_mtime_ns)

    def read(self, offset: int, length: int) -> bytes:
        if self.data is not None:
            return self.data[offset : offset + length]
        assert self.handle is not None  # one of the two is always set
        data = os.pread(self.handle.fileno(), length, offset)
        if len(data) != length:
            # SECURITY (integrity): truncated in place while served; the
            # length was promised, so the response must fail, not shrink.
            raise OSError(f"{self.handle.name}: file changed while it was read")
        return data

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def open_file(path: str | os.PathLike[str]) -> _File | None:
    """Open a regular file for serving, or None when there is none (404)."""
    try:
        handle = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by the response
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return None
    except OSError as exc:
        if exc.errno in (36, 40):  # ENAMETOOLONG, ELOOP
            return None
        raise
    info = os.fstat(handle.fileno())
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        return None
    return _File(handle, info)


#: Files up to this size are kept in memory by :class:`FileCache`.
MEMORY_LIMIT = 1024 * 1024


class FileCache:
    """Small files kept in memory, each checked against one ``stat`` per open.

    A file up to ``max_file_size`` is read once (in a worker thread above
    :data:`INLINE_READ_LIMIT`) and served from memory while its modification
    time, size and inode stay the same (a file rewritten or replaced is read
    again); least recently used files leave first past ``max_bytes``. Larger
    files are opened per request.
    """

    def __init__(self, *, max_file_size: int = MEMORY_LIMIT, max_bytes: int = 32 << 20):
        self.max_file_size = max_file_size
        self.max_bytes = max_bytes
        self._files: OrderedDict[str, tuple[tuple[int, int, int], _File]] = OrderedDict()
        self._bytes = 0

    async def open(self, path: str) -> _File | None:
        """The file at ``path`` (cached or opened), or None when there is none."""
        try:
            info = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        signature = (info.st_mtime_ns, info.st_size, info.st_ino)
        cached = self._files.get(path)
        if cached is not None and cached[0] == signature:
            self._files.move_to_end(path)
            return cached[1]
        opened = open_file(path)
        if opened is None or opened.size > self.max_file_size:
            return opened
        try:
            if opened.size <= INLINE_READ_LIMIT:
                data = opened.read(0, opened.size)
            else:
                # PERF: read once in a worker thread, then from memory: a
                # thread pool hop per request waits for the GIL behind a busy
                # loop (bench/static/run.py, 1 MiB).
                data = await run_in_threadpool(opened.read, 0, opened.size)
        finally:
            opened.close()
        info = os.stat(path)
        if (info.st_mtime_ns, info.st_size, info.st_ino) != signature:
            return open_file(path)  # changed while read: serve it uncached
        loaded = _File(None, info, data)
        self._store(path, signature, loaded)
        return loaded

    def _store(self, path: str, signature: tuple[int, int, int], loaded: _File) -> None:
        previous = self._files.pop(path, None)
        if previous is not None:
            self._bytes -= previous[1].size
        if loaded.size > self.max_bytes:
            return
        self._files[path] = (signature, loaded)
        self._bytes += loaded.size
        while self._bytes > self.max_bytes and self._files:
            _, (_, evicted) = self._files.popitem(last=False)
            self._bytes -= evicted.size


async def send_file(
    request: Any,
    path: str | os.PathLike[str],
    *,
    media_type: str | None = None,
    download_name: str | None = None,
    as_attachment: bool = False,
    headers: Mapping[str, str] | None = None,
    cache_control: str | None = None,
) -> Response:
    """Answer ``request`` with the file at ``path`` (404 if there is none).

    Args:
        request: The request (its method and conditional / Range headers).
        path: The file; the caller makes sure it is one the client may read.
        media_type: The Content-Type (guessed from the name by default).
        download_name: Sent as ``Content-Disposition`` (``attachment`` if
            ``as_attachment``, else ``inline``).
        headers: Extra headers for every answer (200, 206, 304).
        cache_control: The ``Cache-Control`` value, if any.
    """
    opened = open_file(path)
    if opened is None:
        raise HTTPException(404)
    extra = dict(headers or {})
    if cache_control is not None:
        extra["cache-control"] = cache_control
    if download_name is not None:
        extra["content-disposition"] = content_disposition(download_name, inline=not as_attachment)
    name = os.fspath(path)
    return await file_response(request, opened, media_type or guess_media_type(name), extra)


# The request headers a file answer depends on: (as the parser gives the
# name, as request_conditions keys it).
_CONDITIONAL = tuple(
    (name.encode("latin-1"), name)
    for name in (
        "accept-encoding",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "range",
    )
)


def request_conditions(request: Any) -> dict[str, str]:
    """The request's conditional, ``Range`` and ``Accept-Encoding`` headers (first of each).

    PERF: the compiled request's ``first_header`` compares the header lines
    in place (no list of pairs is built for a browser's dozen headers);
    most requests carry none of these.
    """
    first_header = getattr(request, "first_header", None)
    found: dict[str, str] = {}
    if first_header is None:
        headers = request.headers
        for _, name in _CONDITIONAL:
            value = headers.get(name)
            if value is not None:
                found[name] = value
        return found
    for raw, name in _CONDITIONAL:
        value = first_header(raw)
        if value is not None:
            found[name] = value.decode("latin-1")
    return found


async def file_response(
    request: Any,
    opened: _File,
    media_type: str,
    headers: dict[str, str],
    conditions: dict[str, str] | None = None,
) -> Response:
    """The answer to ``request`` for an opened file (validators, ranges, HEAD).

    ``conditions`` are the request's :func:`request_conditions`, if already read.
    """
    if conditions is None:
        conditions = request_conditions(request)
    try:
        return await _answer(request.method, conditions, opened, media_type, headers)
    except BaseException:
        opened.close()
        raise


async def _answer(
    method: str,
    request_headers: dict[str, str],
    opened: _File,
    media_type: str,
    headers: dict[str, str],
) -> Response:
    validators = {"etag": opened.etag, "last-modified": opened.last_modified_text}
    common = {**validators, **headers}
    verdict = (
        evaluate_preconditions(method, request_headers, opened.etag, opened.last_modified)
        if request_headers
        else None
    )
    if verdict is not None:
        opened.close()
        if verdict == 304:
            return Response(b"", status_code=304, headers=common)
        return Response(b"", status_code=412, headers=headers)
    size = opened.size
    common["accept-ranges"] = "bytes"
    ranges: list[ByteRange] | None = None
    range_header = request_headers.get("range")
    # RFC 9110 section 14.2: Range is defined for GET only (HEAD sends it all).
    if range_header is not None and method == "GET":
        if_range = request_headers.get("if-range")
        if if_range is None or if_range_holds(if_range, opened.etag, opened.last_modified):
            try:
                ranges = parse_range(range_header, size)
            except RangeNotSatisfiable:
                opened.close()
                return Response(
                    b"",
                    status_code=416,
                    headers={**headers, "content-range": f"bytes */{size}"},
                )
    if ranges is None:
        return await _whole(method, opened, media_type, common)
    if len(ranges) == 1:
        (only,) = ranges
        common["content-range"] = f"bytes {only.start}-{only.end}/{size}"
        return await _body(opened, [(only.start, only.length)], 206, media_type, common)
    boundary = secrets.token_hex(16)
    pieces: list[bytes | tuple[int, int]] = []
    for index, byte_range in enumerate(ranges):
        pieces.append(
            (
                f"{'' if index == 0 else chr(13) + chr(10)}--{boundary}\r\n"
                f"content-type: {media_type}\r\n"
                f"content-range: bytes {byte_range.start}-{byte_range.end}/{size}\r\n\r\n"
            ).encode("latin-1")
        )
        pieces.append((byte_range.start, byte_range.length))
    pieces.append(f"\r\n--{boundary}--\r\n".encode("latin-1"))
    return await _body(opened, pieces, 206, f"multipart/byteranges; boundary={boundary}", common)


async def _whole(method: str, opened: _File, media_type: str, headers: dict[str, str]) -> Response:
    if method == "HEAD":
        opened.close()
        return Response(
            b"", headers={**headers, "content-length": str(opened.size)}, media_type=media_type
        )
    if opened.data is not None:  # PERF: a cached small file, sent as it is
        return Response(opened.data, headers=headers, media_type=media_type)
    return await _body(opened, [(0, opened.size)], 200, media_type, headers)


def _read_all(opened: _File, pieces: list[bytes | tuple[int, int]]) -> bytes:
    try:
        return b"".join(
            piece if isinstance(piece, bytes) else opened.read(*piece) for piece in pieces
        )
    finally:
        opened.close()


async def _body(
    opened: _File,
    pieces: list[bytes | tuple[int, int]],
    status_code: int,
    media_type: str,
    headers: dict[str, str],
) -> Response:
    total = sum(len(piece) if isinstance(piece, bytes) else piece[1] for piece in pieces)
    if total <= INLINE_READ_LIMIT:
        body = _read_all(opened, pieces)
    elif total <= BUFFER_LIMIT:
        body = await run_in_threadpool(_read_all, opened, pieces)
    else:
        return StreamingResponse(
            _stream(opened, pieces),
            status_code=status_code,
            headers=headers,
            media_type=media_type,
            content_length=total,
        )
    return Response(body, status_code=status_code, headers=headers, media_type=media_type)


async def _stream(opened: _File, pieces: list[bytes | tuple[int, int]]) -> AsyncIterator[bytes]:
    try:
        for piece in pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            offset, remaining = piece
            while remaining > 0:
                length = min(CHUNK_SIZE, remaining)
                yield await run_in_threadpool(opened.read, offset, length)
                offset += length
                remaining -= length
    finally:
        opened.close()
