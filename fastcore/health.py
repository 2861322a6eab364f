"""Liveness and readiness endpoints, for load balancers and orchestrators.

::

    from fastcore.health import Health

    app.install(Health())       # GET /livez and GET /readyz

- ``/livez`` answers ``200 ok`` while the process serves requests. It checks
  nothing else on purpose: a failed liveness probe restarts the process, and
  a database outage must not restart every instance.
- ``/readyz`` answers 200 when every readiness check passes, else 503, with
  ``{"status": "ok" | "unavailable", "checks": {"database": "ok", ...}}``.
  The checks: each database the app uses (``SELECT 1``), each Redis its
  sessions, rate limits and cache use (``PING``), and those added with
  :meth:`Health.add_check`. Each has ``timeout`` seconds; a failure shows as
  ``"failed"`` only (the error is logged, not sent).

Both are plain routes: trusted hosts apply, so a probe must send an allowed
``Host``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from fastcore.extensions import Extension
from fastcore.responses import JSONResponse, PlainTextResponse

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.requests import Request

__all__ = ["Health"]

logger = logging.getLogger("fastcore.health")

ReadinessCheck = Callable[[], Awaitable[object]]


def _objects_in(app: App) -> Iterator[Any]:
    """The options of the app's middleware (and of the layers of a stack), and its extensions."""
    pending = [spec.options for spec in app.middleware]
    while pending:
        options = pending.pop()
        for value in options.values():
            yield value
            if isinstance(value, list):  # a SecurityStack's layers
                pending += [layer.options for layer in value if hasattr(layer, "options")]
            backend = getattr(value, "store", None)  # a session backend over a store
            if backend is not None:
                yield backend
    for extension in app.extensions.values():
        yield extension
        yield getattr(extension, "backend", None)  # the cache


def _redis_server(client: Any) -> object:
    """Where a redis-py client connects (host, port, database, socket path), else the client."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    if not isinstance(kwargs, dict):
        return id(client)
    return tuple(kwargs.get(name) for name in ("host", "port", "db", "path"))


def _database_check(database: Any) -> ReadinessCheck:
    return lambda: _select_one(database)


async def _select_one(database: Any) -> None:
    from sqlalchemy import text

    async with database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


class Health(Extension):
    """The ``/livez`` and ``/readyz`` routes.

    Args:
        live: The liveness path (None: no route).
        ready: The readiness path (None: no route).
        timeout: Seconds each readiness check may take.
        discover: Check the databases and Redis clients the app uses.
    """

    name = "health"

    def __init__(
        self,
        *,
        live: str | None = "/livez",
        ready: str | None = "/readyz",
        timeout: float = 2.0,
        discover: bool = True,
    ) -> None:
        self.live = live
        self.ready = ready
        self.timeout = timeout
        self.discover = discover
        self.checks: dict[str, ReadinessCheck] = {}
        self._app: App | None = None

    def add_check(self, name: str, check: ReadinessCheck) -> None:
        """Add ``await check()`` to the readiness checks (raising means not ready)."""
        self.checks[name] = check

    def init_app(self, app: App) -> None:
        """Add the routes."""
        self._app = app
        if self.live is not None:
            app.add_route(self.live, self.livez, methods=["GET", "HEAD"], name="livez")
        if self.ready is not None:
            app.add_route(self.ready, self.readyz, methods=["GET", "HEAD"], name="readyz")

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        """Every readiness check by name: the discovered ones, then the added ones."""
        found: dict[str, ReadinessCheck] = {}
        if self.discover and self._app is not None:
            databases: list[Any] = []
            clients: list[Any] = []
            for item in _objects_in(self._app):
                # A Database (not imported: the ORM is optional); its engine
                # property raises until it is connected, so only the class is asked.
                is_database = isinstance(getattr(type(item), "engine", None), property)
                if is_database and hasattr(item, "session") and item not in databases:
                    databases.append(item)
                client = getattr(item, "client", None)
                if client is not None and hasattr(client, "ping"):
                    clients.append(client)
            for index, database in enumerate(databases):
                name = "database" if index == 0 else f"database{index + 1}"
                found[name] = _database_check(database)
            # Sessions, rate limits and cache each have a client, often of one
            # server: checked once per server.
            clients = list({_redis_server(client): client for client in clients}.values())
            for index, client in enumerate(clients):
                name = "redis" if index == 0 else f"redis{index + 1}"
                found[name] = client.ping
        return {**found, **self.checks}

    async def livez(self, request: Request) -> PlainTextResponse:
        """Alive: the process answers."""
        return PlainTextResponse("ok")

    async def readyz(self, request: Request) -> JSONResponse:
        """Ready: every check passed within its timeout (200), else 503."""
        checks = self.readiness_checks()
        results = await asyncio.gather(*(self._run(name, c) for name, c in checks.items()))
        report = dict(zip(checks, results, strict=True))
        ready = all(result == "ok" for result in results)
        body = {"status": "ok" if ready else "unavailable", "checks": report}
        return JSONResponse(body, status_code=200 if ready else 503)

    async def _run(self, name: str, check: ReadinessCheck) -> str:
        try:
            await asyncio.wait_for(check(), self.timeout)
        except Exception as exc:  # any failure: not ready
            logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            return "failed"
        return "ok"
