"""The HTTP/1.1 connection protocol on uvloop (compiled kernel).

One :class:`HttpProtocol` per connection parses requests with the compiled
parser, drives the dispatch coroutine of each request (synchronously first,
as a Task only when it suspends) and writes the responses in request order,
merged into one write per read. :class:`ServerState` is shared by every
connection of a listening server: limits, the response writer, the timer
tick that refreshes the Date header and enforces timeouts, and the set of
open connections used by the graceful drain.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, final

from typing_extensions import disjoint_base

from fastcore._speedups.http_parser import RequestHead
from fastcore.server.config import ServerConfig

# What the protocol calls per request: the App's dispatch (fastcore.app.Dispatch)
# or any callable of that shape; the kernel knows the request only as a head.
_Dispatch = Callable[[Any], Awaitable[Any]]

@disjoint_base
class Gate:
    """Steps an App's only middleware offers the protocol, to run around a handler.

    With a gate the protocol serves a plain route match as if the App had no
    middleware (it calls the handler itself) and runs the gate's compiled
    steps before and after it, with no coroutine of the middleware's: a
    step that refuses the request answers it, and a request the gate turns
    down (one that needs the middleware to await something) goes to the
    middleware's chain as usual. The steps are C methods; this base class
    turns every request down. :class:`fastcore._speedups.security_gate.SecurityGate`
    is the default security stack's.
    """

@final
class RouteMatcher:
    """A router's match, and the match the protocol made for the request being started.

    While a request's first step runs, ``match_request`` answers that request
    with the match the protocol already made (when its method and raw path
    are unchanged), so the App's routing step under its middleware does not
    match twice; any other request is matched anew.

    Args:
        match: ``(method, raw path) -> RouteMatch`` (a frozen Router's match).
    """

    def __init__(self, match: Callable[[str, str], Any]) -> None: ...
    def match_request(self, request: RequestHead) -> Any:
        """The RouteMatch for ``request``'s method and raw path."""

@final
class RoutedDispatch:
    """An App's dispatch whose routing the connection protocol may run itself.

    Calling it is calling ``dispatch``. Under eager dispatch the protocol
    instead matches the route (``match``), sets ``app``, ``route`` and
    ``path_params`` on the request, calls the endpoint's ``invoke(request,
    params)`` (or, when the endpoint's ``direct_call`` is ``(handler,
    takes_request)``, the async handler itself, with the request or with
    nothing) and drives the handler's coroutine directly; a return value that
    is not a ``response_class`` goes through ``convert``, an exception through
    ``fail(request, exc)``, and a handler that suspends finishes in a Task
    running ``finish(request, awaitable)``. Requests that are not a plain match
    (404, 405, redirects, automatic OPTIONS) go to ``dispatch``.

    Only a route whose endpoint says ``inline`` (nothing in its first step can
    need the current Task) is driven synchronously; any other request starts
    in a Task. Without ``direct`` (an App with middleware) the protocol calls
    ``chain`` (or, without one, ``dispatch``) and reads the route only for
    that decision; ``chain``'s exceptions go to ``fail`` and, when it
    suspends, it finishes in a Task running ``finish``, as above.

    Args:
        dispatch: The complete dispatch, ``async (request) -> Response``.
        match: ``(method, raw path) -> RouteMatch`` (a frozen Router's match),
            or a :class:`RouteMatcher`.
        app: The application set on each request.
        finish: ``async (request, awaitable) -> Response``.
        fail: ``async (request, exception) -> Response``.
        convert: ``(value) -> Response`` for other return values.
        response_class: The class whose instances need no conversion.
        direct: No middleware: the protocol may call handlers itself.
        chain_inline: Every middleware may start outside a Task.
        errors_inline: Every registered error handler may run outside a Task.
        chain: The App's middleware chain, ``async (request) -> Response``,
            without the App's error handling (used only without ``direct``).
        gate: The :class:`Gate` of the chain's only middleware: for a plain
            match of an ``inline`` route its steps run around the handler,
            called as with ``direct`` (a handler that is not ``inline``
            starts in a Task, whose end the gate finishes); any other request,
            and those the gate turns down, go to ``chain``. Needs ``chain``.
    """

    #: The gate given to the constructor, or None.
    gate: Gate | None
    #: ``async (request, connection) -> None`` for WebSocket handshakes (see
    #: :class:`fastcore._speedups.websocket_protocol.WebSocketConnection`),
    #: or None: an Upgrade: websocket request is then answered as plain HTTP.
    websocket: Callable[[Any, Any], Awaitable[None]] | None

    def __init__(
        self,
        dispatch: _Dispatch,
        match: Callable[[str, str], Any] | RouteMatcher,
        app: Any,
        finish: Callable[[Any, Awaitable[Any]], Awaitable[Any]],
        fail: Callable[[Any, Exception], Awaitable[Any]],
        convert: Callable[[Any], Any],
        response_class: type,
        *,
        direct: bool = True,
        chain_inline: bool = True,
        errors_inline: bool = True,
        chain: _Dispatch | None = None,
        gate: Gate | None = None,
    ) -> None: ...
    def __call__(self, request: RequestHead) -> Awaitable[Any]:
        """Run the complete dispatch for ``request``."""

@final
class ServerState:
    """The state shared by every connection of one listening server.

    Args:
        config: Limits, timeouts and headers.
        loop: The event loop (the running loop when omitted).
    """

    config: ServerConfig
    shutting_down: bool
    scheme: str
    """``request.scheme`` before proxy headers: ``"https"`` behind TLS."""
    forwarded: Callable[[RequestHead], None] | None
    """Called with each request head to apply trusted proxy headers, or ``None``."""
    request_count: int
    """Requests started since the server started (read by ``--max-requests``)."""
    active: int
    """Requests running in a Task now (bounded by ``limit_concurrency``)."""

    def __init__(
        self, config: ServerConfig, loop: asyncio.AbstractEventLoop | None = None
    ) -> None: ...
    @property
    def connection_count(self) -> int:
        """The number of open connections (WebSockets included)."""

    def request_metrics(
        self,
    ) -> tuple[dict[tuple[Any, str, int], int], dict[Any, list[float]]]:
        """The live counters of ``ServerConfig.request_metrics`` (empty when off).

        Answered requests by ``(route, method, status)`` (``route`` is
        ``request.route``, ``None`` when unmatched), and per route the request
        count of each :data:`REQUEST_DURATION_BUCKETS` bucket, of ``+Inf``,
        then the sum of the durations in seconds.
        """

    def start(self) -> None:
        """Start the timer tick (Date refresh and connection deadlines)."""

    def close(self) -> None:
        """Stop the timer tick."""

    def shutdown(self) -> None:
        """Begin the graceful drain of every connection.

        Idle connections close now; busy ones answer their in-flight requests,
        the last one with ``connection: close``, and then close. WebSockets
        get a close frame with 1001 (going away).
        """

    def abort_all(self) -> None:
        """Cut every connection that is still open and cancel the WebSocket endpoints."""

REQUEST_DURATION_BUCKETS: tuple[float, ...]
"""Upper bounds (seconds) of the request duration histogram."""

@final
class HttpProtocol:
    """The asyncio Protocol of one HTTP/1.1 connection.

    Args:
        dispatch: Turns each parsed request into a coroutine of its response.
            Each request starts in its own asyncio Task unless the dispatch
            is a :class:`RoutedDispatch` or has ``inline = True`` (nothing in
            its first step needs the current Task): then, under eager
            dispatch, the coroutine runs synchronously until it suspends.
        state: The server's shared :class:`ServerState`.
        request_class: The request type the parser instantiates
            (:class:`RequestHead` or a subclass, such as
            ``fastcore.requests.Request``).
    """

    def __init__(
        self, dispatch: _Dispatch, state: ServerState, request_class: type[RequestHead] = ...
    ) -> None: ...
    def connection_made(self, transport: Any) -> None:
        """Start serving a new connection."""

    def connection_lost(self, exc: BaseException | None) -> None:
        """Cancel the connection's in-flight handlers; fail an unfinished body."""

    def data_received(self, data: bytes) -> None:
        """Parse and dispatch every complete request in ``data``."""

    def eof_received(self) -> bool:
        """Answer what the half-closed client already sent, then close."""

    def pause_writing(self) -> None:
        """Stop reading and make streaming bodies wait: the write buffer is full."""

    def resume_writing(self) -> None:
        """Resume writers and reading once the write buffer drained."""
