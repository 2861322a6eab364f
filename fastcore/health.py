"""Liveness and readiness endpoints, for load balancers and orchestrators.

::

    from fastcore.health import Health

    app.install(Health())       # GET /livez and GET /readyz

- ``/livez`` answers ``200 ok`` while the process serves requests. It checks
  nothing else on purpose: a failed liveness probe restarts the process, and
  a database outage must not restart every instance.
- ``/readyz`` answers 200 when every readiness check passes, else 503, with
  ``{"status": "ok" | "unavailable", "checks": {"database": "ok", ...}}``.
  While the bundled server drains the process (SIGTERM, a rolling restart,
  a recycled worker) it answers 503 ``{"status": "draining"}`` without
  running the checks: a load balancer probing a connection still open
  stops sending requests to a process on its way out.
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
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastcore.components import app_databases, app_redis_clients
from fastcore.extensions import Extension
from fastcore.responses import JSONResponse, PlainTextResponse

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.requests import Request

__all__ = ["Health"]

logger = logging.getLogger("fastcore.health")

ReadinessCheck = Callable[[], Awaitable[object]]


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
            for name, database in app_databases(self._app).items():
                found[name] = _database_check(database)
            for name, client in app_redis_clients(self._app).items():
                found[name] = client.ping
        return {**found, **self.checks}

    async def livez(self, request: Request) -> PlainTextResponse:
        """Alive: the process answers."""
        return PlainTextResponse("ok")

    async def readyz(self, request: Request) -> JSONResponse:
        """Ready: every check passed within its timeout (200), else 503."""
        if self._app is not None and self._app.draining:
            return JSONResponse({"status": "draining", "checks": {}}, status_code=503)
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
