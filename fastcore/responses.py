"""Response classes: text, HTML, JSON, redirects and streaming bodies.

A response is plain data the connection protocol serializes into one buffer:
``status_code``, ``raw_headers`` (lower-cased ``bytes`` pairs, never
Content-Length, Date or Server, which the writer adds) and ``body``. A streaming
response has ``body = None`` and an async ``body_iterator``.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import orjson

from fastcore._speedups.response_writer import (
    PreparedHeaders,
    ResponseBase,
    encode_headers,
    prepared_response,
    register_json_render,
)
from fastcore.datastructures import MutableHeaders

__all__ = [
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "PreparedHeaders",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "prepared_response",
]

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]] | None

# Raw (bytes) header pairs from str pairs; a CR or LF raises ValueError.
_encode_headers = encode_headers


class Response(ResponseBase):
    """A complete HTTP response with a bytes body.

    The constructor and ``render`` are compiled (``ResponseBase``): a class
    that only sets ``media_type`` or ``charset`` builds its responses in C.

    ``Response(content=None, status_code=200, headers=None, media_type=None)``
    (the compiled constructor's arguments):

    - ``content``: the body; ``str`` is encoded with the response charset;
    - ``status_code``: the HTTP status;
    - ``headers``: extra headers, as a mapping or a list of pairs;
    - ``media_type``: the Content-Type (the class default when omitted).
    """

    __slots__ = ()

    media_type: ClassVar[str | None] = None
    charset: ClassVar[str] = "utf-8"

    @property
    def headers(self) -> MutableHeaders:
        """A case-insensitive, mutable view of the response headers."""
        return MutableHeaders(raw=self.raw_headers)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: int | None = None,
        expires: datetime.datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header (RFC 6265) with every attribute."""
        self.raw_headers.append(
            (
                b"set-cookie",
                _cookie_header(
                    key,
                    value,
                    max_age=max_age,
                    expires=expires,
                    path=path,
                    domain=domain,
                    secure=secure,
                    httponly=httponly,
                    samesite=samesite,
                    partitioned=partitioned,
                ).encode("latin-1"),
            )
        )

    def delete_cookie(
        self,
        key: str,
        *,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Expire a cookie in the browser (same path and domain as it was set with)."""
        self.set_cookie(
            key,
            "",
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} status_code={self.status_code}>"


_COOKIE_SAFE = "!#$%&'()*+-./:<=>?@[]^_`{|}~"


def _cookie_header(
    key: str,
    value: str,
    *,
    max_age: int | None,
    expires: datetime.datetime | str | int | None,
    path: str | None,
    domain: str | None,
    secure: bool,
    httponly: bool,
    samesite: str | None,
    partitioned: bool,
) -> str:
    if not key or any(ch in key for ch in ' \t\r\n;,="()<>@:\\/[]?{}'):
        raise ValueError(f"invalid cookie name {key!r}")
    # Values are quoted so that ";", "," and spaces can never start a new attribute.
    parts = [f"{key}={quote(value, safe=_COOKIE_SAFE.replace(';', '').replace(',', ''))}"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if expires is not None:
        parts.append(f"expires={_cookie_date(expires)}")
    if path is not None:
        parts.append(f"Path={path}")
    if domain is not None:
        parts.append(f"Domain={domain}")
    if secure or partitioned or samesite == "none":
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite is not None:
        if samesite.lower() not in ("lax", "strict", "none"):
            raise ValueError("samesite must be 'lax', 'strict' or 'none'")
        parts.append(f"SameSite={samesite.capitalize()}")
    if partitioned:
        parts.append("Partitioned")
    header = "; ".join(parts)
    if "\r" in header or "\n" in header:
        raise ValueError("cookie attributes contain a line break")
    return header


def _cookie_date(expires: datetime.datetime | str | int) -> str:
    if isinstance(expires, str):
        return expires
    if isinstance(expires, int):
        moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=expires)
    else:
        moment = expires
    return email.utils.format_datetime(moment.astimezone(datetime.UTC), usegmt=True)


class PlainTextResponse(Response):
    """A ``text/plain`` response."""

    __slots__ = ()
    media_type = "text/plain"


class HTMLResponse(Response):
    """A ``text/html`` response."""

    __slots__ = ()
    media_type = "text/html"


def _json_default(value: Any) -> Any:
    # orjson already handles dataclasses, datetimes and UUIDs; these are the
    # common extras (sets, Decimals, objects exposing a dict form).
    if isinstance(value, set | frozenset):
        return list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__json__"):
        return value.__json__()
    import decimal

    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_JSON_OPTION = orjson.OPT_NON_STR_KEYS


# orjson's integer range; JSON numbers have none.
_SMALLEST_INT = -(2**63)
_LARGEST_INT = 2**64 - 1


def _widen(value: Any) -> Any:
    """``value`` with integers beyond orjson's range as pre-serialized JSON numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        if _SMALLEST_INT <= value <= _LARGEST_INT:
            return value
        return orjson.Fragment(str(value).encode("ascii"))
    if isinstance(value, dict):
        return {key: _widen(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_widen(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _widen(dataclasses.asdict(value))
    return value


def _wide_default(value: Any) -> Any:
    return _widen(_json_default(value))


def dumps_json(content: Any) -> bytes:
    """Serialize content to JSON bytes with orjson (dataclasses, datetimes, UUIDs).

    Integers beyond 64 bits, which orjson refuses, are written as the JSON
    numbers they are (a slower second pass, only for such content).
    """
    try:
        return orjson.dumps(content, default=_json_default, option=_JSON_OPTION)
    except orjson.JSONEncodeError:
        # (What still fails here, e.g. an unknown type, raises from this pass.)
        return orjson.dumps(_widen(content), default=_wide_default, option=_JSON_OPTION)


class JSONResponse(Response):
    """An ``application/json`` response serialized with orjson."""

    __slots__ = ()
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialize the content to JSON bytes."""
        return dumps_json(content)


# PERF: JSONResponse (and subclasses keeping its render) call orjson straight
# from the compiled constructor; the registration states what render does.
register_json_render(JSONResponse.render, orjson.dumps, _json_default, _JSON_OPTION)


class RedirectResponse(Response):
    """A redirect (307 by default) to ``url``; the location is percent-encoded."""

    __slots__ = ()

    def __init__(self, url: str, status_code: int = 307, headers: HeaderInput = None) -> None:
        super().__init__(b"", status_code=status_code, headers=headers)
        location = quote(str(url), safe=":/%#?=@[]!$&'()*+,;~")
        self.raw_headers.append((b"location", location.encode("latin-1")))


class StreamingResponse(Response):
    """A response whose body comes from an async or sync iterator, sent chunked.

    Args:
        content: An async iterable, or a sync iterable (iterated in a thread
            pool so it cannot block the event loop), of ``bytes`` or ``str``.
        content_length: The body's exact size when it is known (a file): it
            is then sent with a ``Content-Length`` instead of chunked, and a
            body that turns out shorter or longer cuts the connection (the
            client never takes a wrong body for a whole one).
    """

    __slots__ = ("body_iterator", "content_length")

    def __init__(
        self,
        content: AsyncIterable[bytes | str] | Iterable[bytes | str],
        status_code: int = 200,
        headers: HeaderInput = None,
        media_type: str | None = None,
        *,
        content_length: int | None = None,
    ) -> None:
        super().__init__(None, status_code=status_code, headers=headers, media_type=media_type)
        self.body = None
        if content_length is not None and content_length < 0:
            raise ValueError(f"content_length must be >= 0, not {content_length}")
        self.content_length = content_length
        if isinstance(content, AsyncIterable):
            self.body_iterator: AsyncIterator[bytes] = self._encode_async(content)
        else:
            self.body_iterator = self._iterate_in_thread(iter(content))

    async def _encode_async(self, content: AsyncIterable[bytes | str]) -> AsyncIterator[bytes]:
        async for chunk in content:
            yield chunk.encode(self.charset) if isinstance(chunk, str) else chunk

    async def _iterate_in_thread(self, iterator: Iterator[bytes | str]) -> AsyncIterator[bytes]:
        from fastcore.concurrency import run_in_threadpool

        sentinel = b""
        while True:
            # Empty chunks carry nothing, so b"" doubles as the end marker.
            chunk = await run_in_threadpool(next, iterator, sentinel)
            if isinstance(chunk, str):
                chunk = chunk.encode(self.charset)
            if chunk is sentinel:
                return
            if chunk:
                yield chunk
