"""Server-sent events: :class:`EventSourceResponse` streams :class:`ServerSentEvent` s.

Each event is written (and flushed) as soon as the generator yields it; a
comment line keeps idle connections open through proxies; when the client
goes away the server cancels the stream, so the generator stops at its
current ``await`` (its ``finally`` blocks run).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import orjson

from fastcore.requests import Request
from fastcore.responses import HeaderInput, StreamingResponse

__all__ = ["EventSourceResponse", "ServerSentEvent", "last_event_id"]


def _single_line(name: str, value: str) -> str:
    # SECURITY: a line break in a field would start a new field or event
    # chosen by whoever controls the value (event injection).
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(f"the SSE {name} must be one line without NUL")
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event of an event stream (the HTML standard's ``text/event-stream``).

    Attributes:
        data: The payload: a str (split into ``data:`` lines at line breaks),
            or any other value, sent as JSON.
        event: The event type (``addEventListener(type, ...)`` on the client).
        id: The event id; the browser sends the last one back in
            ``Last-Event-ID`` when it reconnects.
        retry: The reconnection delay the client should use, in milliseconds.
        comment: A comment line (ignored by clients).
    """

    data: Any = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def encode(self) -> bytes:
        """The event in the wire format, ending with the blank line that dispatches it."""
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(": " + line for line in self.comment.splitlines() or [""])
        if self.event is not None:
            lines.append("event: " + _single_line("event", self.event))
        if self.id is not None:
            lines.append("id: " + _single_line("id", self.id))
        if self.retry is not None:
            if not isinstance(self.retry, int) or self.retry < 0:
                raise ValueError("the SSE retry must be a non-negative int (milliseconds)")
            lines.append(f"retry: {self.retry}")
        if self.data is not None:
            text = self.data if isinstance(self.data, str) else orjson.dumps(self.data).decode()
            lines.extend("data: " + line for line in text.splitlines() or [""])
        return ("\n".join(lines) + "\n\n").encode()


def last_event_id(request: Request) -> str | None:
    """The ``Last-Event-ID`` a reconnecting client sent, or None."""
    value: str | None = request.headers.get("last-event-id")
    return value


class EventSourceResponse(StreamingResponse):
    """A ``text/event-stream`` response fed by an async iterable of events.

    Args:
        content: Yields :class:`ServerSentEvent` objects, or plain data (a
            str, or a value sent as JSON) for a ``data``-only event.
        ping: Seconds of silence after which a ``: ping`` comment is sent to
            keep the connection open (None: never).
        status_code: The response status.
        headers: Extra headers.

    Example::

        @app.get("/events")
        async def events(request: Request):
            async def stream():
                while True:
                    yield ServerSentEvent({"time": time.time()}, event="tick")
                    await asyncio.sleep(1)

            return EventSourceResponse(stream())
    """

    __slots__ = ()

    def __init__(
        self,
        content: AsyncIterable[Any],
        *,
        ping: float | None = 15.0,
        status_code: int = 200,
        headers: HeaderInput = None,
    ) -> None:
        if ping is not None and not ping > 0:
            raise ValueError("ping must be a positive number of seconds, or None")
        super().__init__(
            _event_stream(content, ping),
            status_code=status_code,
            headers=headers,
            media_type="text/event-stream",
        )
        # Caches and proxies must pass each event on at once (nginx buffers
        # responses unless told otherwise).
        self.headers.setdefault("cache-control", "no-cache")
        self.headers.setdefault("x-accel-buffering", "no")


_PING = b": ping\n\n"


async def _event_stream(content: AsyncIterable[Any], ping: float | None) -> AsyncIterator[bytes]:
    iterator = aiter(content)
    pending: asyncio.Future[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            # NOTE: not wait_for(): a timeout must not cancel the generator's step.
            done, _ = await asyncio.wait({pending}, timeout=ping)
            if not done:
                yield _PING
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            event = item if isinstance(item, ServerSentEvent) else ServerSentEvent(item)
            yield event.encode()
    finally:
        # The client went away (the server cancels the stream) or the stream ended.
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
