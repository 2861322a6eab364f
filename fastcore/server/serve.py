"""Run one server process: event loop, listening socket, lifespan and graceful drain."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

import uvloop

from fastcore._speedups.http_parser import RequestHead
from fastcore._speedups.protocol import HttpProtocol, ServerState
from fastcore.server.asgi_host import ASGIAdapter
from fastcore.server.config import ServerConfig
from fastcore.server.sockets import bind_socket as bind_socket
from fastcore.server.sockets import describe_listener

__all__ = ["NativeApp", "Server", "serve", "resolve_app"]

logger = logging.getLogger("fastcore.server")


class NativeApp(Protocol):
    """What the bundled server needs from a fastcore application."""

    #: The class the server instantiates for each request (RequestHead or a subclass).
    request_class: type[RequestHead]

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...

    def build_dispatch(self) -> Callable[[Any], Any]: ...


def resolve_app(app: Any) -> NativeApp:
    """Return the native-app surface of ``app``, adapting a plain ASGI app.

    A fastcore App (anything with ``build_dispatch``) is served natively; any
    other callable is treated as an ASGI 3 application.

    Raises:
        TypeError: ``app`` is neither a native app nor callable.
    """
    if hasattr(app, "build_dispatch"):
        return app  # type: ignore[no-any-return]
    if callable(app):
        return ASGIAdapter(app)
    raise TypeError(f"{app!r} is neither a fastcore App nor an ASGI application")


class Server:
    """One listening server on the running event loop.

    Args:
        app: A fastcore App or any ASGI 3 application.
        host: The address to bind.
        port: The port to bind (0 picks a free one; see :attr:`port`).
        config: Limits and timeouts (defaults to ``ServerConfig()``).
        reuse_port: Bind with ``SO_REUSEPORT`` so worker processes share the port.
        sock: An already bound socket to listen on instead of ``host``/``port``
            (a Unix socket, an inherited fd, the supervisor's shared socket).
        ssl_context: Serve TLS with this context (see
            :func:`fastcore.server.sockets.create_ssl_context`).
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        config: ServerConfig | None = None,
        reuse_port: bool = False,
        sock: socket.socket | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.app = resolve_app(app)
        self.host = host
        self.port = port
        self.config = config or ServerConfig()
        self.reuse_port = reuse_port
        self.sock = sock
        self.ssl_context = ssl_context
        self.state: ServerState | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._stop = asyncio.Event()
        self._started = False

    async def start(self) -> None:
        """Bind, run the app's startup, then listen; :attr:`port` is the bound port.

        Raises:
            OSError: The address cannot be bound (checked before the startup
                hooks run, so they never run for nothing).
        """
        loop = self.loop = asyncio.get_running_loop()
        sock = self.sock or bind_socket(self.host, self.port, reuse_port=self.reuse_port)
        try:
            await self.app.startup()
        except BaseException:
            sock.close()
            raise
        self._started = True
        _set_draining(self.app, False)
        dispatch = self.app.build_dispatch()
        request_class = getattr(self.app, "request_class", None)
        state = ServerState(self.config, loop)
        if self.ssl_context is not None:
            state.scheme = "https"
        if self.config.proxy_headers:
            from fastcore.server.proxy import ProxyHeaders

            state.forwarded = ProxyHeaders(self.config.forwarded_allow_ips)
        self.state = state
        if request_class is None:
            factory: Callable[[], HttpProtocol] = lambda: HttpProtocol(dispatch, state)  # noqa: E731
        else:
            factory = lambda: HttpProtocol(dispatch, state, request_class)  # noqa: E731
        # NOTE: HttpProtocol is a cdef class, an asyncio.Protocol by duck typing only.
        protocol_factory = cast(Callable[[], asyncio.Protocol], factory)
        self._server = await loop.create_server(
            protocol_factory, sock=sock, backlog=self.config.backlog, ssl=self.ssl_context
        )
        self.sock = sock
        if sock.family != socket.AF_UNIX:
            self.port = sock.getsockname()[1]
        if isinstance(self.app, ASGIAdapter):
            self.app.server = (self.host, self.port)
        state.start()

    @property
    def shutdown_requested(self) -> bool:
        """Whether :meth:`request_shutdown` was called."""
        return self._stop.is_set()

    def request_shutdown(self) -> None:
        """Ask :meth:`serve_forever` to drain and return (signal-handler safe)."""
        self._stop.set()

    def force_shutdown(self) -> None:
        """Cut every open connection now instead of waiting for the drain."""
        self._stop.set()
        if self.state is not None:
            self.state.abort_all()

    async def serve_forever(self) -> None:
        """Serve until :meth:`request_shutdown`, then shut down gracefully."""
        await self._stop.wait()
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stop accepting, finish in-flight requests, close idle connections.

        Connections still busy after ``graceful_timeout`` seconds are cut,
        then the app's shutdown runs.
        """
        loop = asyncio.get_running_loop()
        state = self.state
        _set_draining(self.app, True)
        if self._server is not None:
            self._server.close()
        if state is not None:
            state.shutdown()
            deadline = loop.time() + self.config.graceful_timeout
            while state.connection_count and loop.time() < deadline:
                await asyncio.sleep(0.02)
            if state.connection_count:
                logger.warning(
                    "cutting %d connection(s) after the graceful timeout", state.connection_count
                )
                state.abort_all()
                await asyncio.sleep(0)
            state.close()
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            except TimeoutError:
                pass
            self._server = None
        if self._started:
            self._started = False
            await self.app.shutdown()


def _set_draining(app: Any, draining: bool) -> None:
    # A fastcore App's readiness endpoint answers 503 while it drains (an
    # ASGI app has no such flag).
    if hasattr(app, "draining"):
        app.draining = draining


async def serve(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    config: ServerConfig | None = None,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    ssl_context: ssl.SSLContext | None = None,
    install_signal_handlers: bool = True,
    force_on_repeat: bool = True,
    on_ready: Callable[[Server], None] | None = None,
    on_hangup: Callable[[], Awaitable[bool]] | None = None,
) -> None:
    """Serve ``app`` on the running loop until SIGTERM/SIGINT, then drain.

    Args:
        app: A fastcore App or any ASGI 3 application.
        host: The address to bind.
        port: The port to bind (0 picks a free one).
        config: Limits and timeouts.
        reuse_port: Bind with ``SO_REUSEPORT`` (one socket per worker process).
        sock: A bound socket to use instead of binding ``host``/``port``.
        ssl_context: Serve TLS with this context.
        install_signal_handlers: Drain gracefully on SIGTERM and SIGINT.
        force_on_repeat: A second signal cuts the connections still open
            (a second Ctrl-C); worker processes keep draining instead, since
            the supervisor forwards the signal the terminal already sent.
        on_ready: Called with the :class:`Server` once it listens.
        on_hangup: Awaited on SIGHUP; when it returns True the server drains
            and returns, as on SIGTERM (a restart follows: see
            :mod:`fastcore.server.hangup`).
    """
    server = Server(
        app, host, port, config=config, reuse_port=reuse_port, sock=sock, ssl_context=ssl_context
    )
    loop = asyncio.get_running_loop()
    await server.start()

    def on_signal() -> None:
        if server.shutdown_requested and force_on_repeat:
            logger.warning("second signal: cutting the open connections")
            server.force_shutdown()
        else:
            server.request_shutdown()

    if install_signal_handlers:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal)
    hangups: set[asyncio.Task[None]] = set()
    if on_hangup is not None:

        async def hang_up() -> None:
            if not server.shutdown_requested and await on_hangup():
                server.request_shutdown()

        def on_sighup() -> None:
            task = loop.create_task(hang_up())
            hangups.add(task)  # kept until done (the loop holds tasks weakly)
            task.add_done_callback(hangups.discard)

        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    if server.sock is not None:
        listening = describe_listener(server.sock, tls=ssl_context is not None)
        logger.info("fastcore listening on %s", listening)
    if on_ready is not None:
        on_ready(server)
    try:
        await server.serve_forever()
    finally:
        if install_signal_handlers:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
        if on_hangup is not None:
            loop.remove_signal_handler(signal.SIGHUP)


def run_single(
    app: Any,
    host: str,
    port: int,
    config: ServerConfig,
    *,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    ssl_context: ssl.SSLContext | None = None,
    force_on_repeat: bool = True,
    on_ready: Callable[[Server], None] | None = None,
    on_hangup: Callable[[], Awaitable[bool]] | None = None,
) -> None:
    """Serve ``app`` in this process on a new uvloop event loop until signalled."""
    uvloop.run(
        serve(
            app,
            host,
            port,
            config=config,
            reuse_port=reuse_port,
            sock=sock,
            ssl_context=ssl_context,
            force_on_repeat=force_on_repeat,
            on_ready=on_ready,
            on_hangup=on_hangup,
        )
    )
