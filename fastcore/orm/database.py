"""The Database: an engine, its pool and sessions, tied to an App's lifespan.

::

    db = Database()                       # DATABASE_URL, else ./fastcore.sqlite3
    db = Database("postgresql+asyncpg://user@host/name", pool_size=20)
    db.init_app(app)                      # engine at startup, request.db per request

The engine is created when the app starts (in the server's event loop) and
disposed when it stops. ``init_app`` also installs the per-request session
middleware (:mod:`fastcore.orm.session`) and maps a pool timeout to a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy.exc
from sqlalchemy import MetaData, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from fastcore.error_handlers import default_error_response
from fastcore.exceptions import ImproperlyConfigured
from fastcore.orm.fastpath import FastConnection, FastPath, Query, Row, connect_in_task
from fastcore.orm.models import Model
from fastcore.orm.pooling import TaskSafeQueuePool
from fastcore.orm.session import RequestSession

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.checks import CheckMessage
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["DEFAULT_URL", "Database"]

#: The embedded default: a SQLite file in the working directory, no server needed.
DEFAULT_URL = "sqlite+aiosqlite:///./fastcore.sqlite3"

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def _resolve_url(url: str | URL | None) -> URL:
    raw = url if url is not None else os.environ.get("DATABASE_URL") or DEFAULT_URL
    try:
        parsed = make_url(raw)
    except sqlalchemy.exc.ArgumentError as exc:
        raise ImproperlyConfigured(f"invalid database URL {str(raw)!r}: {exc}") from exc
    # NOTE: plain "postgresql://" and "sqlite://" (as hosting platforms set
    # DATABASE_URL) mean the async driver here; a sync driver cannot run.
    if parsed.drivername in _ASYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[parsed.drivername])
    if parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    if parsed.drivername not in _ASYNC_DRIVERS.values():
        raise ImproperlyConfigured(
            f"unsupported database driver {parsed.drivername!r}: use sqlite+aiosqlite:// "
            "or postgresql+asyncpg://"
        )
    return parsed


def _is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


class Database:
    """A database configured from code or the ``DATABASE_URL`` environment variable.

    Args:
        url: A SQLAlchemy URL (``sqlite+aiosqlite:///path``,
            ``postgresql+asyncpg://user:pw@host/db``); defaults to
            ``DATABASE_URL``, then :data:`DEFAULT_URL`.
        pool_size: Connections kept open (ORM pool; the fast path keeps its own
            pool of the same size, opened on first use).
        max_overflow: Extra ORM connections opened under load and closed after.
        pool_timeout: Seconds to wait for a free connection before the request
            fails with ``503 Service Unavailable`` and ``Retry-After``.
        pool_recycle: Seconds after which a connection is replaced (-1: never).
        echo: Log every SQL statement (``sqlalchemy.engine`` logger).
        metadata: The tables ``create_all`` and migrations manage; defaults to
            :attr:`Model.metadata`.
        retry_after: The ``Retry-After`` seconds sent with the 503.
        engine_options: Extra keyword arguments for ``create_async_engine``.
        defer_begin: On PostgreSQL, run plain ``SELECT`` statements outside a
            transaction until the first write, so a request that only reads
            sends no ``BEGIN``/``COMMIT`` (:mod:`fastcore.orm.deferred_begin`
            says when a statement always runs in the transaction). ``False``
            keeps SQLAlchemy's ``BEGIN`` before the first statement.
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        pool_timeout: float = 30.0,
        pool_recycle: int = -1,
        echo: bool = False,
        metadata: MetaData | None = None,
        retry_after: int = 1,
        engine_options: Mapping[str, Any] | None = None,
        defer_begin: bool = True,
    ) -> None:
        if pool_size < 1 or max_overflow < 0 or pool_timeout <= 0:
            raise ImproperlyConfigured(
                "Database needs pool_size >= 1, max_overflow >= 0 and pool_timeout > 0"
            )
        self.url = _resolve_url(url)
        self.pool_size = pool_size
        self.max_overflow = max_overflow
        self.pool_timeout = pool_timeout
        self.pool_recycle = pool_recycle
        self.echo = echo
        self.metadata = metadata if metadata is not None else Model.metadata
        self.retry_after = retry_after
        self.engine_options = dict(engine_options or {})
        self.defer_begin = defer_begin
        self._engine: AsyncEngine | None = None
        self._fast: FastPath | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    def use_url(self, url: str | URL) -> None:
        """Point the database at another URL (the pytest plugin's test database).

        Raises:
            ImproperlyConfigured: The database is connected, or the URL is invalid.
        """
        if self._engine is not None:
            raise ImproperlyConfigured(
                f"{self!r} is connected: its URL can change only before the app starts"
            )
        self.url = _resolve_url(url)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.url.get_backend_name()

    # -- lifecycle -----------------------------------------------------------

    def _engine_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"echo": self.echo, "pool_recycle": self.pool_recycle}
        if _is_memory(self.url):
            # One shared connection, or every session would see its own empty database.
            options["poolclass"] = StaticPool
        else:
            options.update(
                poolclass=TaskSafeQueuePool,
                pool_size=self.pool_size,
                max_overflow=self.max_overflow,
                pool_timeout=self.pool_timeout,
            )
        options.update(self.engine_options)
        if self.backend == "postgresql":
            import asyncpg  # type: ignore[import-untyped]

            connect_args = dict(options.get("connect_args") or {})
            creator = connect_args.get("async_creator_fn", asyncpg.connect)
            # SQLAlchemy's asyncpg dialect calls this instead of asyncpg.connect.
            connect_args["async_creator_fn"] = connect_in_task(creator)
            options["connect_args"] = connect_args
            if self.defer_begin and "module" not in options:
                from fastcore.orm.deferred_begin import DeferredBeginDBAPI

                options["module"] = DeferredBeginDBAPI(asyncpg)  # type: ignore[no-untyped-call]
        return options

    async def connect(self) -> None:
        """Create the engine and session factory (called at app startup)."""
        if self._engine is not None:
            return
        engine = create_async_engine(self.url, **self._engine_options())
        if self.backend == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        self._engine = engine
        self.loop = asyncio.get_running_loop()

    async def disconnect(self) -> None:
        """Close every pooled connection (called at app shutdown)."""
        self.loop = None
        if self._fast is not None:
            await self._fast.close()
            self._fast = None
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()

    @property
    def engine(self) -> AsyncEngine:
        """The async engine (exists between startup and shutdown)."""
        if self._engine is None:
            raise ImproperlyConfigured(
                "the database is not connected: call Database.init_app(app) and start the "
                "app, or use 'async with database:'"
            )
        return self._engine

    @property
    def connections_in_use(self) -> int:
        """Pooled connections checked out now (the ORM's and the fast path's).

        ``fastcore run --metrics-port`` reports it as ``fastcore_db_connections_in_use``.
        """
        if self._engine is None:
            return 0
        checkedout = getattr(self._engine.sync_engine.pool, "checkedout", None)
        in_use = checkedout() if checkedout is not None else 0
        if self._fast is not None:
            in_use += self._fast.connections_in_use
        return int(in_use)

    def init_app(self, app: App) -> None:
        """Tie the database to ``app``: connect at startup, dispose at shutdown,
        a session per request (``request.db``), and 503 on pool exhaustion."""
        from fastcore.orm.session import DatabaseSessionMiddleware

        app.on_startup(self.connect)
        app.on_shutdown(self.disconnect)
        app.add_middleware(DatabaseSessionMiddleware, database=self)
        app.exception_handler(sqlalchemy.exc.TimeoutError)(self._pool_timeout_response)
        app.add_check(self._deploy_check, deploy=True)

    def _deploy_check(self, app: App) -> list[CheckMessage]:
        from fastcore.orm.checks import check_database_deploy

        return check_database_deploy(app, self)

    def _pool_timeout_response(self, request: Request, exc: BaseException) -> Response:
        # SECURITY: the detail names the condition, never the URL or the SQL.
        return default_error_response(
            request,
            503,
            "The database is busy (no free connection); try again shortly.",
            {"retry-after": str(self.retry_after)},
        )

    # -- ORM sessions --------------------------------------------------------

    def new_session(self) -> RequestSession:
        """A new :class:`AsyncSession` (the caller commits and closes it).

        It connects on first use, and builds its inner ORM session then too.
        """
        engine = self._engine
        if engine is None:
            engine = self.engine  # raises the "not connected" error
        # NOTE: expire_on_commit=False: after the request commits, reading an
        # attribute must not start implicit I/O, which asyncio cannot do.
        # PERF: built directly rather than through async_sessionmaker, whose
        # option merging costs more than the (deferred) session itself.
        return RequestSession(
            engine,
            loop=self.loop,
            fast_get=self.defer_begin and self.backend == "postgresql",
            expire_on_commit=False,
        )

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session outside a request (scripts, tasks): commit on success, else roll back."""
        session = self.new_session()
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            await session.close()

    async def create_all(self) -> None:
        """Create every table of :attr:`metadata` that does not exist yet."""
        async with self.engine.begin() as connection:
            await connection.run_sync(self.metadata.create_all)

    async def drop_all(self) -> None:
        """Drop every table of :attr:`metadata` (tests and resets only)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(self.metadata.drop_all)

    # -- the fast path -------------------------------------------------------

    @property
    def fast(self) -> FastPath:
        """The prepared-statement fast path (its pool opens on first use)."""
        if self._fast is None:
            self.engine  # noqa: B018 - raises the "not connected" error
            if _is_memory(self.url):
                raise ImproperlyConfigured(
                    "the fast path needs a database file or server: an in-memory SQLite "
                    "database exists only inside the ORM's own connection"
                )
            self._fast = FastPath(
                self.url,
                self.engine.dialect,
                self.pool_size,
                self.pool_timeout,
                self.engine_options.get("connect_args"),
            )
        return self._fast

    async def fetch_all(self, query: Query, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a query on the fast path and return every row."""
        return await self.fast.fetch_all(query, params)

    async def fetch_one(self, query: Query, params: Mapping[str, Any] | None = None) -> Row | None:
        """Run a query on the fast path and return its first row, or None."""
        return await self.fast.fetch_one(query, params)

    async def fetch_val(self, query: Query, params: Mapping[str, Any] | None = None) -> Any:
        """Run a query on the fast path and return the first column of its first row."""
        return await self.fast.fetch_val(query, params)

    async def fetch_each(
        self, query: Query, params_list: Iterable[Mapping[str, Any]]
    ) -> list[Row | None]:
        """Run one query per parameter set on one connection; the first row of each."""
        return await self.fast.fetch_each(query, params_list)

    async def fetch_many(self, query: Query, params_list: Iterable[Mapping[str, Any]]) -> list[Row]:
        """Run a query once per parameter set, pipelined; every row of every run, in order.

        PostgreSQL sends the whole batch in one round trip (one implicit
        transaction). A run that matches no row adds none: use
        :meth:`fetch_each` when each run must map to one result.
        """
        return await self.fast.fetch_many(query, params_list)

    async def execute(self, query: Query, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement on the fast path; return the affected row count."""
        return await self.fast.execute(query, params)

    async def execute_many(self, query: Query, params_list: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement once per parameter set, batched (asyncpg pipelines them)."""
        await self.fast.execute_many(query, params_list)

    def connection(self) -> contextlib.AbstractAsyncContextManager[FastConnection]:
        """Hold one fast-path connection for several statements (autocommit)."""
        return self.fast.connection()

    def transaction(self) -> contextlib.AbstractAsyncContextManager[FastConnection]:
        """A fast-path connection inside a transaction: committed on success, else rolled back."""
        return self.fast.transaction()


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers proceed while one request writes; foreign keys are off
    # by default in SQLite, which surprises everyone coming from PostgreSQL.
    # The busy timeout is sqlite3's connect timeout (5 s unless
    # connect_args={"timeout": ...}): a PRAGMA here would override the user's.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()
