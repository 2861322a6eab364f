"""The compression middleware: gzip, brotli or zstd, as the client asks.

``app.add_middleware(Compression)`` compresses responses whose type is text
(HTML, CSS, JavaScript, JSON, XML, SVG) in the coding the client gives the
highest q-value in ``Accept-Encoding`` (ties: br, then zstd, then gzip;
br and zstd only when their packages are installed), and adds
``Vary: Accept-Encoding`` to every response it could have compressed.

It leaves alone: bodies under ``minimum_size``, responses that already
have a ``Content-Encoding``, partial content (206 / ``Content-Range``: the
ranges are of the identity bytes), event streams (each event must reach the
client at once, unbuffered), ``Cache-Control: no-transform``, HEAD and
bodiless statuses, routes marked :func:`uncompressed` and paths under
``exclude_paths``. A streaming response is compressed as it flows, each
chunk flushed so the client can decode what it has.

SECURITY (BREACH): compressing a page that holds a secret (a CSRF token,
an account number) next to text an attacker can inject lets the attacker
guess the secret from the compressed sizes. Mark such routes
:func:`uncompressed` (or list their prefix in ``exclude_paths``); see
docs/static-files.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from fastcore.middleware_base import Handler, Middleware
from fastcore.staticfiles import codings
from fastcore.staticfiles.http import choose_encoding

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["Compression", "is_compressible", "uncompressed"]

F = TypeVar("F")

_MARK = "__fastcore_uncompressed__"
_TEXT_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "application/xhtml+xml",
        "application/x-ndjson",
        "image/svg+xml",
        "text/javascript",
    }
)


def uncompressed(endpoint: F) -> F:
    """Mark a handler whose responses must never be compressed (pages with secrets)."""
    setattr(endpoint, _MARK, True)
    return endpoint


def is_compressible(content_type: str) -> bool:
    """Whether a Content-Type is text worth compressing (event streams are not)."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == "text/event-stream":
        return False
    return (
        media_type.startswith("text/")
        or media_type in _TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def _add_vary(response: Response) -> None:
    headers = response.headers
    vary = headers.get("vary")
    if vary is None:
        headers["vary"] = "Accept-Encoding"
    elif "accept-encoding" not in vary.lower() and vary.strip() != "*":
        headers["vary"] = f"{vary}, Accept-Encoding"


def _marked(request: Request) -> bool:
    # The route's endpoint is the App's plan around the handler.
    plan = getattr(request, "route", None)
    endpoint = getattr(getattr(plan, "endpoint", None), "endpoint", None)
    return bool(getattr(endpoint, _MARK, False))


class Compression(Middleware):
    """Compress text responses with the best coding the client accepts.

    Args:
        minimum_size: Bodies smaller than this many bytes are sent as they are.
        encodings: The codings to offer, in order of preference (default:
            every installed one of br, zstd, gzip).
        exclude_paths: Path prefixes never compressed.
        levels: Compression level per coding (defaults: gzip 6, br 4, zstd 3).
    """

    inline_safe = True

    def __init__(
        self,
        next: Handler,
        *,
        minimum_size: int = 500,
        encodings: Sequence[str] | None = None,
        exclude_paths: Iterable[str] = (),
        levels: dict[str, int] | None = None,
    ) -> None:
        super().__init__(next)
        if minimum_size < 0:
            raise ValueError("minimum_size must be >= 0")
        if encodings is None:
            encodings = codings.available()
        for coding in encodings:
            reason = codings.missing(coding)
            if reason is not None:
                raise ValueError(f"Compression(encodings=...): {reason}")
        self.minimum_size = minimum_size
        self.encodings = tuple(encodings)
        self.exclude_paths = tuple(exclude_paths)
        self.levels = dict(levels or {})

    async def __call__(self, request: Request) -> Response:
        """Call the next layer, then compress its response if it should be."""
        response = await self.next(request)
        status = response.status_code
        if status < 200 or status in (204, 206, 304):
            return response
        headers = response.headers
        if (
            "content-encoding" in headers
            or "content-range" in headers
            or not is_compressible(headers.get("content-type", ""))
            or "no-transform" in headers.get("cache-control", "").lower()
        ):
            return response
        if _marked(request) or (self.exclude_paths and request.path.startswith(self.exclude_paths)):
            return response
        body = response.body
        if body is not None and len(body) < self.minimum_size:
            return response
        _add_vary(response)
        coding = choose_encoding(request.headers.get("accept-encoding"), self.encodings)
        if coding is None or request.method == "HEAD":
            return response
        encoder = codings.encoder(coding, self.levels.get(coding))
        headers["content-encoding"] = coding
        etag = headers.get("etag")
        if etag is not None and not etag.startswith("W/"):
            # A strong tag names exact bytes; these are other bytes.
            headers["etag"] = "W/" + etag
        if body is not None:
            response.body = encoder.compress(bytes(body)) + encoder.finish()
        else:
            stream: Any = response
            stream.body_iterator = _compressed(stream.body_iterator, encoder)
            if getattr(stream, "content_length", None) is not None:
                stream.content_length = None  # the compressed size is unknown: chunked
        return response


async def _compressed(
    chunks: AsyncIterator[bytes], encoder: codings.Encoder
) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            if chunk:
                data = encoder.compress(chunk)
                if data:
                    yield data
        yield encoder.finish()
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
