"""Form body parsing: urlencoded and multipart bodies into FormData, within limits.

:meth:`Request.form() <fastcore.requests.Request.form>` calls
:func:`parse_form`. Multipart bodies are parsed by python-multipart while they
stream in, so memory use is bounded by the limits, not by the body: file parts
go to :class:`~fastcore.uploads.UploadFile` spools (on disk above
``spool_max_size``), text parts are capped by ``max_field_size``.

Bad input answers 4xx, never 500: a malformed body, a missing or broken
boundary, undecodable text are 400; a form over a size or count limit is 413;
a body that is not a form at all is 415.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from fastcore.datastructures import FormData, Headers
from fastcore.exceptions import BadRequest, HTTPException, ImproperlyConfigured
from fastcore.routing.marks import endpoint_for, get_option, set_option
from fastcore.uploads import UploadFile

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["FORM_CONTENT_TYPES", "FormLimits", "form_limits", "parse_form"]

F = TypeVar("F", bound=Callable[..., Any])

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
#: The media types :func:`parse_form` accepts.
FORM_CONTENT_TYPES = frozenset({URLENCODED, MULTIPART})

_MiB = 1024 * 1024
# RFC 2046 section 5.1.1: a boundary is 1 to 70 characters.
MAX_BOUNDARY_LENGTH = 70


@dataclasses.dataclass(frozen=True, slots=True)
class FormLimits:
    """How much of a form body is accepted before answering 413.

    Attributes:
        max_total_size: The whole form body, in bytes.
        max_field_size: One text field's value, in bytes.
        max_file_size: One uploaded file, in bytes.
        max_fields: The number of text fields (urlencoded pairs or parts).
        max_files: The number of uploaded files.
        spool_max_size: Bytes of an upload kept in memory before it rolls
            over to a temporary file on disk.
        upload_dir: Where spooled uploads go (the system's temporary
            directory by default).
    """

    max_total_size: int = 16 * _MiB
    max_field_size: int = 1 * _MiB
    max_file_size: int = 10 * _MiB
    max_fields: int = 1000
    max_files: int = 100
    spool_max_size: int = 1 * _MiB
    upload_dir: str | os.PathLike[str] | None = None

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, int) and value < 0:
                raise ImproperlyConfigured(f"form limit {field.name} cannot be negative")


DEFAULT_LIMITS = FormLimits()


def form_limits(**limits: Any) -> Callable[[F], F]:
    """Set this handler's form limits (see :class:`FormLimits`)::

        @app.post("/avatar")
        @form_limits(max_file_size=20_000_000, max_total_size=21_000_000)
        async def upload(request: Request): ...

    The limits apply wherever this route's form is parsed, in the handler or
    in middleware before it (the CSRF check reads the form's token field).
    """
    chosen = dataclasses.replace(DEFAULT_LIMITS, **limits)

    def decorator(endpoint: F) -> F:
        return set_option(endpoint, "form_limits", chosen)

    return decorator


def limits_for(request: Request) -> FormLimits:
    """The form limits of the route serving ``request`` (the defaults otherwise)."""
    limits: FormLimits = get_option(endpoint_for(request), "form_limits", DEFAULT_LIMITS)
    return limits


def _too_large(detail: str) -> HTTPException:
    return HTTPException(413, detail)


async def parse_form(request: Request, limits: FormLimits) -> FormData:
    """Parse the request's form body (see the module docstring for the errors)."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    media_type = content_type.decode("latin-1")
    if media_type == URLENCODED:
        return await _parse_urlencoded(request, limits)
    if media_type == MULTIPART:
        return await MultipartReader(options.get(b"boundary"), limits).read(request)
    if not media_type and request.content_length <= 0 and not request.chunked:
        return FormData()  # no body at all: an empty form
    raise HTTPException(
        415,
        f"Expected a form body ({URLENCODED} or {MULTIPART}), "
        f"got {media_type or 'no content type'}.",
    )


async def _read_limited(request: Request, limit: int) -> bytes:
    """Read the body, answering 413 as soon as it grows past ``limit`` bytes."""
    if request.content_length > limit:
        raise _too_large(f"The form body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(f"The form body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _parse_urlencoded(request: Request, limits: FormLimits) -> FormData:
    body = await _read_limited(request, limits.max_total_size)
    # NOTE: the body is cached on the request, so request.body() (the CSRF
    # check, the handler) reads the same bytes without a second read.
    request._body = body
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, errors="strict", max_num_fields=limits.max_fields
        )
    except UnicodeDecodeError as exc:
        raise BadRequest("The form body is not valid UTF-8.") from exc
    except ValueError as exc:  # max_num_fields
        raise _too_large(f"The form has more than {limits.max_fields} fields.") from exc
    for name, value in pairs:
        # PERF: a str holds at most 4 UTF-8 bytes per character, so only a
        # value that long can be over the limit and is worth encoding.
        if len(value) * 4 > limits.max_field_size and len(value.encode()) > limits.max_field_size:
            raise _too_large(
                f"The form field {name!r} is larger than {limits.max_field_size} bytes."
            )
    return FormData(pairs)


class _Part:
    """The part being read: its headers, then its text or its file."""

    __slots__ = ("header_name", "header_value", "headers", "name", "upload", "data", "received")

    def __init__(self) -> None:
        self.header_name = b""
        self.header_value = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.name = ""
        self.upload: UploadFile | None = None
        self.data = bytearray()
        self.received = 0


class MultipartReader:
    """Streams a ``multipart/form-data`` body through python-multipart into FormData.

    The parser's callbacks are synchronous: they collect headers and text and
    check every limit as the bytes arrive. Only file data is handed back, to be
    written after each chunk, where writing to a spool on disk may await.
    """

    def __init__(self, boundary: bytes | None, limits: FormLimits) -> None:
        if not boundary:
            raise BadRequest("The multipart body has no boundary parameter.")
        if len(boundary) > MAX_BOUNDARY_LENGTH:
            raise BadRequest(
                f"The multipart boundary is longer than {MAX_BOUNDARY_LENGTH} characters."
            )
        self.limits = limits
        self.items: list[tuple[str, str | UploadFile]] = []
        self.uploads: list[UploadFile] = []
        self.pending: list[tuple[UploadFile, bytes]] = []
        self.part = _Part()
        self.fields = 0
        self.ended = False
        # python-multipart reads a preamble differently when a read ends inside
        # it (accepted whole, refused split: found by tests/fuzz/form_parsers),
        # so the body up to its first delimiter line goes in as one write.
        self.delimiter = b"--" + boundary
        self.opening: bytearray | None = bytearray()
        callbacks: Any = {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }
        try:
            self.parser = MultipartParser(boundary, callbacks)
        except FormParserError as exc:
            raise BadRequest(f"Malformed multipart boundary: {exc}") from exc

    async def read(self, request: Request) -> FormData:
        """Parse the request's body; on any failure close the files opened so far."""
        limit = self.limits.max_total_size
        try:
            if request.content_length > limit:
                raise _too_large(f"The form body is larger than {limit} bytes.")
            received = 0
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise _too_large(f"The form body is larger than {limit} bytes.")
                if self.opening is not None:
                    searched = max(0, len(self.opening) - len(self.delimiter) - 1)
                    self.opening += chunk
                    # Only the new bytes are searched: no quadratic rescan of a long preamble.
                    found = self.opening.find(self.delimiter, searched)
                    if found < 0 or len(self.opening) < found + len(self.delimiter) + 2:
                        continue
                    chunk, self.opening = bytes(self.opening), None
                await self._feed(chunk)
            if self.opening:
                await self._feed(bytes(self.opening))
            if not self.ended or self.parser.state != MultipartState.END:
                raise BadRequest("The multipart body ended before its closing boundary.")
            for upload in self.uploads:
                await upload.seek(0)
        except BaseException:
            for upload in self.uploads:
                upload.file.close()
            raise
        finally:
            # The parser holds this reader's bound methods: break the cycle, so
            # nothing waits for the garbage collector (the request's uploads are
            # closed when it is released).
            self.parser.callbacks = {}
        return FormData(self.items)

    async def _feed(self, chunk: bytes) -> None:
        try:
            self.parser.write(chunk)
        except FormParserError as exc:
            raise BadRequest(f"Malformed multipart body: {exc}") from exc
        for upload, data in self.pending:
            await upload.write(data)
        self.pending.clear()

    # -- parser callbacks (synchronous) -------------------------------------

    def _on_part_begin(self) -> None:
        self.part = _Part()

    def _on_header_field(self, buffer: bytes, start: int, end: int) -> None:
        self.part.header_name += buffer[start:end]

    def _on_header_value(self, buffer: bytes, start: int, end: int) -> None:
        self.part.header_value += buffer[start:end]

    def _on_header_end(self) -> None:
        part = self.part
        part.headers.append((part.header_name.lower(), part.header_value))
        part.header_name = part.header_value = b""

    def _on_headers_finished(self) -> None:
        part = self.part
        headers = Headers(raw=part.headers)
        disposition = headers.get("content-disposition")
        if disposition is None:
            raise BadRequest("A multipart part has no Content-Disposition header.")
        _, options = parse_options_header(disposition)
        raw_name = options.get(b"name")
        if raw_name is None:
            raise BadRequest("A multipart part has no field name.")
        # parse_options_header hands back the header's bytes as Latin-1; browsers
        # send names and file names as raw UTF-8 (HTML's form submission algorithm).
        try:
            part.name = raw_name.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest("A multipart field name is not valid UTF-8.") from exc
        raw_filename = options.get(b"filename")
        if raw_filename is None:
            self.fields += 1
            if self.fields > self.limits.max_fields:
                raise _too_large(f"The form has more than {self.limits.max_fields} fields.")
            return
        if len(self.uploads) >= self.limits.max_files:
            raise _too_large(f"The form has more than {self.limits.max_files} files.")
        part.upload = UploadFile(
            part.name,
            raw_filename.decode("utf-8", errors="replace"),
            headers=headers,
            spool_max_size=self.limits.spool_max_size,
            directory=self.limits.upload_dir,
        )
        self.uploads.append(part.upload)

    def _on_part_data(self, buffer: bytes, start: int, end: int) -> None:
        part = self.part
        upload = part.upload
        if upload is not None:
            # Counted here, written after the chunk: the limit holds before any write.
            part.received += end - start
            if part.received > self.limits.max_file_size:
                raise _too_large(
                    f"The uploaded file {upload.filename!r} is larger than "
                    f"{self.limits.max_file_size} bytes."
                )
            self.pending.append((upload, buffer[start:end]))
            return
        if len(part.data) + end - start > self.limits.max_field_size:
            raise _too_large(
                f"The form field {part.name!r} is larger than {self.limits.max_field_size} bytes."
            )
        part.data += buffer[start:end]

    def _on_part_end(self) -> None:
        part = self.part
        if part.upload is not None:
            self.items.append((part.name, part.upload))
            return
        try:
            value = part.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"The form field {part.name!r} is not valid UTF-8.") from exc
        self.items.append((part.name, value))

    def _on_end(self) -> None:
        self.ended = True
