"""Host any ASGI 3 application on the fastcore server (http, websocket and lifespan scopes)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast
from urllib.parse import unquote

from fastcore._speedups.http_parser import RequestHead
from fastcore.exceptions import ClientDisconnect
from fastcore.responses import Response, StreamingResponse
from fastcore.server.asgi_websocket_host import serve_asgi_websocket
from fastcore.types import ASGIApp, BodyReader, Message, Scope, WebSocketConnection

__all__ = ["ASGIAdapter"]

logger = logging.getLogger("fastcore.server")

# Framing and per-connection headers belong to the server, not to the app.
_SERVER_OWNED = frozenset({b"content-length", b"transfer-encoding", b"connection", b"date"})


class _LifespanError(Exception):
    """The application reported a failed lifespan startup or shutdown."""


class ASGIAdapter:
    """A native-app facade over an ASGI 3 application.

    The server talks to native fastcore apps through ``startup()``,
    ``shutdown()`` and ``build_dispatch()``; this class gives a plain ASGI app
    the same surface, translating each request into an ``http`` scope and the
    app's messages back into a response.

    Args:
        app: The ASGI 3 application.
        lifespan: ``"auto"`` runs the lifespan protocol and tolerates apps that
            do not support it; ``"on"`` requires it; ``"off"`` skips it.
    """

    request_class = RequestHead

    def __init__(self, app: ASGIApp, lifespan: str = "auto") -> None:
        if lifespan not in ("auto", "on", "off"):
            raise ValueError("lifespan must be 'auto', 'on' or 'off'")
        self.app = app
        self.lifespan = lifespan
        self.state: dict[str, Any] = {}
        self.server: tuple[str, int] | None = None
        self._lifespan_task: asyncio.Task[None] | None = None
        self._lifespan_inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._lifespan_outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._lifespan_supported = False

    # -- lifespan ------------------------------------------------------------

    async def startup(self) -> None:
        """Run the app's lifespan startup; raise if the app reports failure."""
        if self.lifespan == "off":
            return
        scope: Scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self._lifespan_task = asyncio.get_running_loop().create_task(self._run_lifespan(scope))
        await self._lifespan_inbox.put({"type": "lifespan.startup"})
        message = await self._lifespan_outbox.get()
        if message["type"] == "lifespan.startup.failed":
            raise _LifespanError(message.get("message") or "lifespan startup failed")
        self._lifespan_supported = message["type"] == "lifespan.startup.complete"

    async def shutdown(self) -> None:
        """Run the app's lifespan shutdown (when it took part in startup)."""
        if not self._lifespan_supported or self._lifespan_task is None:
            return
        await self._lifespan_inbox.put({"type": "lifespan.shutdown"})
        message = await self._lifespan_outbox.get()
        if message["type"] == "lifespan.shutdown.failed":
            logger.error("ASGI lifespan shutdown failed: %s", message.get("message", ""))
        await self._lifespan_task

    async def _run_lifespan(self, scope: Scope) -> None:
        try:
            await self.app(scope, self._lifespan_inbox.get, self._lifespan_outbox.put)
        except BaseException as exc:
            if self.lifespan == "on":
                logger.error("ASGI lifespan failed", exc_info=exc)
                await self._lifespan_outbox.put(
                    {"type": "lifespan.startup.failed", "message": str(exc)}
                )
            else:
                # NOTE: many apps raise on an unknown scope type: in "auto"
                # mode that just means they have no lifespan.
                logger.debug("ASGI app does not support lifespan", exc_info=exc)
                await self._lifespan_outbox.put({"type": "lifespan.unsupported"})
            return
        await self._lifespan_outbox.put({"type": "lifespan.unsupported"})

    # -- http ----------------------------------------------------------------

    def build_dispatch(self) -> Callable[[RequestHead], Awaitable[Response]]:
        """Return the dispatch callable the connection protocol calls per request.

        Its ``websocket`` attribute takes the WebSocket handshakes (see
        :mod:`fastcore.server.asgi_websocket_host`).
        """
        return _HostDispatch(self)

    async def serve_websocket(self, request: RequestHead, connection: WebSocketConnection) -> None:
        """Run the app for a WebSocket handshake (the ASGI ``websocket`` scope)."""
        scope = {**request_scope(request, self.server), "state": dict(self.state)}
        await serve_asgi_websocket(self.app, request, connection, scope)

    async def _dispatch(self, request: RequestHead) -> Response:
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1" if request.version_minor == 1 else "1.0",
            "method": request.method,
            "scheme": request.scheme,
            **request_scope(request, self.server),
            "state": dict(self.state),
        }
        cycle = _Cycle(request)
        task = asyncio.get_running_loop().create_task(self._run_app(scope, cycle))
        cycle.app_task = task
        try:
            return await asyncio.shield(cycle.response_ready)
        except asyncio.CancelledError:
            task.cancel()
            raise

    async def _run_app(self, scope: Scope, cycle: _Cycle) -> None:
        try:
            await self.app(scope, cycle.receive, cycle.send)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                cycle.abort(exc)
                raise
            if cycle.response_ready.done():
                logger.error("ASGI app failed while streaming its response", exc_info=exc)
            else:
                logger.error("ASGI app failed", exc_info=exc)
            cycle.abort(exc)
            return
        if not cycle.response_ready.done():
            cycle.abort(RuntimeError("ASGI app returned without sending a response"))
        else:
            cycle.finish()


def request_scope(request: RequestHead, server: tuple[str, int] | None) -> Scope:
    """The fields an ``http`` and a ``websocket`` scope share: path, query, headers, peers."""
    raw_path = request.path
    return {
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "query_string": request.query_string.encode("ascii"),
        "root_path": "",
        "headers": request.headers,
        "client": request.client,
        "server": server,
    }


class _HostDispatch:
    # The adapter's dispatch: requests through __call__, WebSocket handshakes
    # through `websocket` (the attribute the connection protocol looks for).

    __slots__ = ("_dispatch", "websocket")

    def __init__(self, adapter: ASGIAdapter) -> None:
        self._dispatch = adapter._dispatch
        self.websocket = adapter.serve_websocket

    def __call__(self, request: RequestHead) -> Awaitable[Response]:
        return self._dispatch(request)


class _Cycle:
    # The state of one request/response exchange with the ASGI app.

    def __init__(self, request: RequestHead) -> None:
        loop = asyncio.get_running_loop()
        self.request = request
        self.head_request = request.method == "HEAD"
        self.response_ready: asyncio.Future[Response] = loop.create_future()
        self.app_task: asyncio.Task[None] | None = None
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = False
        self.body_done = False
        self.response_done = loop.create_future()
        self.stream: asyncio.Queue[bytes | BaseException | None] | None = None
        self._abort_task: asyncio.Task[None] | None = None

    async def receive(self) -> Message:
        if not self.body_done:
            reader = cast(BodyReader, self.request.body_reader)
            try:
                while True:
                    chunk = reader.read_nowait()
                    if chunk is not None:
                        break
                    await reader.wait()
            except ClientDisconnect:
                return {"type": "http.disconnect"}
            if chunk:
                return {"type": "http.request", "body": chunk, "more_body": True}
            self.body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # After the body: wait until the response is done (or abandoned).
        await asyncio.shield(self.response_done)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.started = True
            self.status = int(message["status"])
            self.headers = self._server_headers(message.get("headers", ()))
        elif kind == "http.response.body":
            if not self.started:
                raise RuntimeError("http.response.body sent before http.response.start")
            body = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if self.stream is not None:
                await self.stream.put(body)
                if not more:
                    await self.stream.put(None)
                    self._complete()
            elif not more:
                response = Response.__new__(Response)
                response.status_code = self.status
                response.raw_headers = self.headers
                response.body = body
                self.response_ready.set_result(response)
                self._complete()
            else:
                # PERF: a bounded queue gives the app backpressure from the socket.
                self.stream = asyncio.Queue(maxsize=4)
                await self.stream.put(body)
                response = StreamingResponse.__new__(StreamingResponse)
                response.status_code = self.status
                response.raw_headers = self.headers
                response.body = None
                response.body_iterator = self._iterate(self.stream)
                self.response_ready.set_result(response)
        else:
            raise RuntimeError(f"unexpected ASGI message type {kind!r}")

    def _server_headers(self, headers: Any) -> list[tuple[bytes, bytes]]:
        raw = []
        for name, value in headers:
            name = bytes(name).lower()
            if name in _SERVER_OWNED and not (self.head_request and name == b"content-length"):
                continue
            raw.append((name, bytes(value)))
        return raw

    async def _iterate(
        self, stream: asyncio.Queue[bytes | BaseException | None]
    ) -> AsyncIterator[bytes]:
        try:
            while True:
                item = await stream.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            task = self.app_task
            if task is not None and not task.done() and not self.response_done.done():
                task.cancel()

    def _complete(self) -> None:
        if not self.response_done.done():
            self.response_done.set_result(None)

    def finish(self) -> None:
        self._complete()

    def abort(self, exc: BaseException) -> None:
        if not self.response_ready.done():
            # Nothing was sent yet: a plain 500, as the App itself answers.
            error = Response(b"Internal Server Error", 500, media_type="text/plain")
            self.response_ready.set_result(error)
        elif self.stream is not None and not self.response_done.done():
            # The queue may be full: deliver the error behind the pending chunks.
            self._abort_task = asyncio.get_running_loop().create_task(self.stream.put(exc))
        self._complete()
