"""A live server for tests: the real fastcore server on 127.0.0.1, in a thread.

Use it where a test needs a real socket (a browser, an HTTP client library,
keep-alive behaviour)::

    with LiveServer(app) as server:
        urllib.request.urlopen(server.url + "/")
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any, Self

from fastcore.server.config import ServerConfig
from fastcore.server.serve import Server

__all__ = ["LiveServer"]


class LiveServer:
    """Serve an app on a free loopback port for the duration of a ``with`` block.

    Args:
        app: A fastcore App or any ASGI application.
        host: The loopback address to bind.
        config: Server limits and timeouts.
        start_timeout: Seconds to wait for the server to listen (and to stop).
        loop: Serve on this event loop, already running in another thread
            (a :class:`~fastcore.testing.loop.LoopThread`'s), instead of on a
            loop and thread of its own: the pytest plugin does this so the
            server shares the loop of the test's database transaction.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        config: ServerConfig | None = None,
        start_timeout: float = 10.0,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.config = config
        self.start_timeout = start_timeout
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._given_loop = loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._serving: asyncio.Future[None] | None = None

    @property
    def url(self) -> str:
        """The base URL, like ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        import uvloop

        loop = uvloop.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _start(self) -> Server:
        server = Server(self.app, self.host, 0, config=self.config)
        await server.start()
        self._server = server
        self.port = server.port
        return server

    async def _serve(self) -> None:
        server = await self._start()
        self._ready.set()
        await server.serve_forever()

    async def _start_in_background(self) -> None:
        server = await self._start()
        self._serving = asyncio.ensure_future(server.serve_forever())

    async def _stop_in_background(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.request_shutdown()
            await self._serving

    def __enter__(self) -> Self:
        if self._given_loop is not None:
            self._loop = self._given_loop
            future = asyncio.run_coroutine_threadsafe(self._start_in_background(), self._loop)
            future.result(self.start_timeout)
            return self
        self._thread = threading.Thread(target=self._run, name="fastcore-live-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(self.start_timeout):
            raise RuntimeError("the live server did not start in time")
        if self._error is not None:
            raise RuntimeError("the live server failed to start") from self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._given_loop is not None:
            future = asyncio.run_coroutine_threadsafe(self._stop_in_background(), self._given_loop)
            future.result(self.start_timeout)
            return
        if self._loop is not None and self._server is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._server.request_shutdown)
        if self._thread is not None:
            self._thread.join(self.start_timeout)
