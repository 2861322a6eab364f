"""WebSocket handlers: the :class:`WebSocket` a handler receives and the endpoint that runs it.

``@app.websocket("/ws/{room}")`` (on :class:`fastcore.App`) registers a
handler through :func:`websocket_endpoint`, which checks the handshake's
Origin, binds the handler's parameters (the :class:`WebSocket`, typed path
parameters, the :class:`~fastcore.requests.Request`) and runs it: an
exception closes the socket with 1011 and is logged.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from fastcore._speedups.websocket_protocol import DONE
from fastcore.binding import RequestValidationError, analyze
from fastcore.dependencies import DependencyPlans, Resolver, fill
from fastcore.exceptions import ImproperlyConfigured, WebSocketDisconnect
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.requests import Request
from fastcore.types import WebSocketConnection, WebSocketEndpoint

__all__ = ["WebSocket", "WebSocketDisconnect", "origin_allowed", "websocket_endpoint"]

_log = logging.getLogger("fastcore.realtime")

_CONNECTING = 0
_OPEN = 1


#: The awaitable of a send that needs no waiting: awaiting it returns None at
#: once. PERF: compiled, its await allocates nothing and runs no Python frame
#: (bench/load/callgrind_websocket.py).
_SENT: Awaitable[None] = DONE


class WebSocket:
    """One WebSocket connection, as its handler sees it.

    The handshake request's data is at hand (``path_params``, ``headers``,
    ``cookies``, ``query_params``, ``request``) before :meth:`accept`; a
    handler that returns without accepting refuses the handshake with 403.

    Example::

        @app.websocket("/ws/{room}")
        async def chat(ws: WebSocket, room: str):
            await ws.accept()
            async for message in ws:
                await ws.send_text(f"{room}: {message}")
    """

    __slots__ = ("connection", "request")

    def __init__(self, request: Request, connection: WebSocketConnection) -> None:
        self.request = request
        self.connection = connection

    # -- the handshake ---------------------------------------------------------

    @property
    def path_params(self) -> Mapping[str, Any]:
        """The path parameters, converted by the route's converters."""
        return self.request.path_params

    @property
    def headers(self) -> Any:
        """The handshake's headers (case-insensitive)."""
        return self.request.headers

    @property
    def cookies(self) -> dict[str, str]:
        """The handshake's cookies."""
        return self.request.cookies

    @property
    def query_params(self) -> Any:
        """The handshake's query parameters."""
        return self.request.query_params

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offers (``Sec-WebSocket-Protocol``), in its order."""
        offered = self.request.headers.get("sec-websocket-protocol") or ""
        return [item.strip() for item in offered.split(",") if item.strip()]

    @property
    def state(self) -> int:
        """0 connecting, 1 open, 2 closing, 3 closed."""
        return self.connection.state

    @property
    def close_code(self) -> int:
        """How the connection closed (0 while it is open)."""
        return self.connection.close_code

    async def accept(
        self, subprotocol: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the handshake (101 Switching Protocols).

        Args:
            subprotocol: One of :attr:`subprotocols` to select.
            headers: Extra response headers (a ``Set-Cookie``, say).

        Raises:
            ValueError: ``subprotocol`` was not offered by the client, or a
                header holds a line break.
        """
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"the client did not offer the subprotocol {subprotocol!r}")
        self.connection.accept(subprotocol, list((headers or {}).items()))

    # -- receiving ---------------------------------------------------------------

    async def receive(self) -> str | bytes:
        """The next message: str for a text message, bytes for a binary one.

        Raises:
            WebSocketDisconnect: the socket closed (its ``code`` says how).
        """
        return await self.connection.receive()

    async def receive_text(self) -> str:
        """The next message, which must be text (a binary one closes with 1003)."""
        message = await self.receive()
        if not isinstance(message, str):
            await self._refuse(1003, "expected a text message")
        return message

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary (a text one closes with 1003)."""
        message = await self.receive()
        if not isinstance(message, bytes):
            await self._refuse(1003, "expected a binary message")
        return message

    async def receive_json(self) -> Any:
        """The next message parsed as JSON (invalid JSON closes with 1007)."""
        message = await self.receive()
        try:
            return orjson.loads(message)
        except orjson.JSONDecodeError:
            await self._refuse(1007, "invalid JSON")

    async def _refuse(self, code: int, reason: str) -> typing.NoReturn:
        await self.close(code, reason)
        raise WebSocketDisconnect(code, reason)

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        """Iterate over the messages until the socket closes (no exception at the end)."""
        # PERF: the connection's own iterator: the bundled server's runs no
        # Python frame per message (bench/load/websocket_echo.py).
        return self.connection.iterate()

    def __anext__(self) -> Awaitable[str | bytes]:
        """The next message (StopAsyncIteration once the socket closed)."""
        return self.connection.iterate().__anext__()

    # -- sending -----------------------------------------------------------------

    def send_text(self, data: str) -> Awaitable[None]:
        """Send a text message: ``await ws.send_text(s)`` (waits while the client does not read).

        Raises:
            WebSocketDisconnect: the socket is closed.
        """
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes a str, not {type(data).__name__}")
        # PERF: the frame is written now; only a full write buffer makes the
        # caller wait, so the common case needs no coroutine (websocket_echo.py).
        if self.connection.send(data):
            return self.connection.drain()
        return _SENT

    def send_bytes(self, data: bytes) -> Awaitable[None]:
        """Send a binary message: ``await ws.send_bytes(b)`` (waits while the client lags)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"send_bytes() takes bytes, not {type(data).__name__}")
        if self.connection.send(bytes(data)):
            return self.connection.drain()
        return _SENT

    async def send_json(self, data: Any, *, binary: bool = False) -> None:
        """Send ``data`` as JSON, in a text message (a binary one with ``binary``)."""
        encoded = orjson.dumps(data)
        if binary:
            await self.send_bytes(encoded)
        else:
            await self.send_text(encoded.decode())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket with ``code`` and ``reason`` (before accepting: refuse with 403)."""
        self.connection.close(code, reason)

    def __repr__(self) -> str:
        return f"<WebSocket {self.request.path!r} state={self.state}>"


def origin_allowed(request: Request, allowed: Iterable[str], https: bool = False) -> bool:
    """Whether a WebSocket handshake may go on, as far as its Origin is concerned.

    SECURITY: browsers send cookies with a cross-site WebSocket handshake and
    the same-origin policy does not apply to WebSockets, so a page on another
    site could act as the signed-in user (cross-site WebSocket hijacking). A
    handshake that carries cookies must therefore come from the app's own
    origin or one in ``allowed`` (``*`` allows all). Handshakes without
    cookies, and clients that send no Origin (not browsers), are not concerned.
    """
    origin = request.headers.get("origin")
    if origin is None or not request.headers.get("cookie"):
        return True
    allowed = list(allowed)
    if "*" in allowed or origin in allowed:
        return True
    parts = urlsplit(origin)
    host = request.headers.get("host")
    own_scheme = "https" if https else "http"
    return parts.scheme == own_scheme and host is not None and parts.netloc.lower() == host.lower()


def _websocket_names(handler: Callable[..., Awaitable[None]]) -> tuple[str, ...]:
    """The parameters of ``handler`` that receive the :class:`WebSocket`."""
    try:
        hints = typing.get_type_hints(handler)
    except Exception:  # unresolvable annotations: binding.analyze names the culprit
        hints = {}
    names = []
    for name, parameter in inspect.signature(handler).parameters.items():
        annotation = hints.get(name, parameter.annotation)
        if annotation is WebSocket or (
            annotation is inspect.Parameter.empty and name in ("ws", "websocket")
        ):
            names.append(name)
    return tuple(names)


class _Binder:
    """How to call one handler: the WebSocket, then what ``binding.analyze`` binds.

    The rest of the parameters are bound as a GET handler's are: path
    parameters, the request, query parameters, headers, cookies, the
    current user, the database session and ``Depends`` providers (their
    teardown runs when the handler returns). A body cannot be bound: a
    handshake has none.
    """

    __slots__ = ("needs_resolver", "plan", "plans", "websocket_names")

    def __init__(
        self, handler: Callable[..., Awaitable[None]], path_params: Mapping[str, type], pattern: str
    ) -> None:
        self.websocket_names = _websocket_names(handler)
        self.plans = DependencyPlans(path_params)
        self.plan = analyze(handler, path_params, exclude=self.websocket_names)
        if self.plan.body_binder is not None or self.plan.async_binders:
            raise ImproperlyConfigured(
                f"WebSocket route {pattern!r}: {self.plan.name} takes a body or form "
                "parameter, but a WebSocket handshake has no body (receive messages instead)"
            )
        for _, dependency in self.plan.dependencies:
            self.plans.for_marker(dependency)
        self.needs_resolver = bool(self.plan.dependencies)

    async def bind(self, ws: WebSocket, resolver: Resolver | None) -> dict[str, Any]:
        """The handler's arguments for ``ws`` (raises RequestValidationError)."""
        request = ws.request
        errors: list[dict[str, Any]] = []
        kwargs = await fill(self.plan, request, request.path_params, errors, resolver)
        if errors:
            raise RequestValidationError(errors)
        for name in self.websocket_names:
            kwargs[name] = ws
        return kwargs


async def _unused(request: Request) -> Any:  # pragma: no cover - never called
    raise RuntimeError("only the host check of TrustedHostMiddleware is used")


def websocket_endpoint(
    handler: Callable[..., Awaitable[None]],
    path_params: Mapping[str, type],
    pattern: str,
) -> WebSocketEndpoint:
    """Wrap a WebSocket handler into the endpoint ``App.add_websocket_route`` takes.

    Raises:
        ImproperlyConfigured: the handler is not ``async def``, or has a
            parameter that cannot be bound.
    """
    if not inspect.iscoroutinefunction(handler):
        raise ImproperlyConfigured(f"WebSocket route {pattern!r}: the handler must be async def")
    binder = _Binder(handler, path_params, pattern)
    hosts: list[TrustedHostMiddleware] = []

    async def endpoint(request: Request, connection: WebSocketConnection) -> None:
        settings = request.app.settings
        if settings.allowed_hosts and "*" not in settings.allowed_hosts:
            # SECURITY: the HTTP middleware (trusted hosts among it) does not
            # run for WebSockets, so the Host check is made here (DNS rebinding).
            if not hosts:
                hosts.append(TrustedHostMiddleware(_unused, allowed_hosts=settings.allowed_hosts))
            if not hosts[0].is_allowed(request.headers.get("host") or ""):
                connection.reject(400, b"Invalid Host header")
                return
        if not origin_allowed(request, settings.websocket_allowed_origins, settings.https):
            _log.warning(
                "refused a WebSocket to %s from the foreign origin %r",
                request.path,
                request.headers.get("origin"),
            )
            connection.reject(403, b"Origin not allowed")
            return
        connection.set_limits(settings.websocket_max_message, settings.websocket_message_rate)
        ws = WebSocket(request, connection)
        resolver = (
            Resolver(binder.plans, request.app.dependency_overrides)
            if binder.needs_resolver
            else None
        )
        failure: BaseException | None = None
        try:
            await handler(**await binder.bind(ws, resolver))
        except WebSocketDisconnect:
            pass
        except Exception as exc:
            failure = exc
            if connection.state == _CONNECTING:
                # Before the 101 the App answers it as for any request
                # (HTTPException, a validation error, a logged 500).
                raise
            _log.exception("error in the WebSocket handler of %s", request.path)
            connection.close(1011, "internal error")
            return
        finally:
            if resolver is not None:
                await resolver.close(failure)
        if connection.state == _CONNECTING:
            connection.reject(403, b"WebSocket refused")
        elif connection.state == _OPEN:
            connection.close(1000, "")

    return endpoint
