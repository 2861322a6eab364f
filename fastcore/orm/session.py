"""One database session per request: ``request.db``, committed or rolled back with it.

The middleware that :meth:`Database.init_app` installs gives every request a
fresh :class:`~sqlalchemy.ext.asyncio.AsyncSession` as ``request.db``:

- the handler returns a response below 400: the session is committed;
- the handler raises (the App answers 4xx/5xx) or returns a 4xx/5xx
  response: the session is rolled back, so a failed request leaves no trace;
- either way the session is closed and its connection returns to the pool.

The session connects lazily: a request that never touches ``request.db``
never takes a connection. Savepoints are SQLAlchemy's own::

    async with request.db.begin_nested():   # SAVEPOINT ... RELEASE / ROLLBACK TO
        ...

Sync (``def``) handlers run in a worker thread, where the AsyncSession (bound
to the event loop) must not be used. They call :func:`sync_session` instead,
which returns a blocking facade over the same request session: every call is
sent to the event loop and waited for, so the session is only ever touched by
the loop's thread and commits and rolls back with the request like above.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import in_greenlet

from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware

if TYPE_CHECKING:
    from fastcore.orm.database import Database
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = [
    "DatabaseSessionMiddleware",
    "RequestOrmSession",
    "RequestSession",
    "SyncSession",
    "get_db",
    "sync_session",
]

T = TypeVar("T")


class RequestOrmSession(Session):
    """The ORM Session inside a :class:`RequestSession`; it may hold a read connection.

    Direct loads (:mod:`fastcore.orm.fast_get`) that run before the session
    has a connection of its own take one straight from the engine's pool and
    keep it in :attr:`read_connection` until the session needs a connection
    for anything else, which SQLAlchemy asks for through :meth:`get_bind` (or
    is given a bind explicitly): the read connection goes back to the pool
    first, so a request never holds two connections at once (no deadlock
    when the pool is exhausted). Only plain reads ran on it, outside any
    transaction (deferred BEGIN), so nothing is lost by giving it back.
    """

    #: A pool connection holding no transaction, used by direct loads only.
    read_connection: Any = None

    def release_read_connection(self) -> None:
        """Give the read connection back to the pool (SQLAlchemy's greenlet context)."""
        held = self.read_connection
        if held is None:
            return
        self.read_connection = None
        adapter = held.dbapi_connection
        if adapter is not None and adapter._connection.is_closed():
            held.invalidate()  # a lost connection must not go back to the pool
        else:
            held.close()

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        """SQLAlchemy's ``get_bind``; gives the read connection back first (see the class)."""
        if self.read_connection is not None and in_greenlet():
            self.release_read_connection()
        return super().get_bind(*args, **kwargs)

    def _connection_for_bind(self, *args: Any, **kwargs: Any) -> Any:
        # Every connection SQLAlchemy takes for this session passes here or
        # through get_bind (a flush asks get_bind): the read connection is
        # given back before another one is taken.
        if self.read_connection is not None:
            self.release_read_connection()
        return super()._connection_for_bind(*args, **kwargs)

    def _close_impl(self, invalidate: bool, is_reset: bool = False) -> None:
        # close(), reset() and invalidate() all end here.
        held = self.read_connection
        if held is not None:
            if invalidate:
                self.read_connection = None
                held.invalidate()
            else:
                self.release_read_connection()
        super()._close_impl(invalidate, is_reset)


class RequestSession(AsyncSession):
    """An AsyncSession that builds its inner ORM Session on first use.

    PERF: building a Session costs ~18 us and closing an unused one ~50 us
    (a greenlet hop); most requests of a typical app never touch the
    database, so a request pays that only when it does.
    """

    sync_session_class = RequestOrmSession

    def __init__(
        self,
        bind: Any = None,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        fast_get: bool = False,
        **options: Any,
    ) -> None:
        self._async_bind = bind
        #: Whether :meth:`get` may load directly (PostgreSQL with deferred BEGIN).
        self.fast_get = fast_get
        self._async_binds = {}
        self._deferred_options = options
        #: The event loop the session belongs to (for :func:`sync_session`).
        self.loop = loop

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: the inner Session and its alias.
        if name not in ("sync_session", "_proxied"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        bind = self._async_bind
        sync_bind: Any
        if bind is None:
            sync_bind = None
        elif isinstance(bind, AsyncConnection):
            # A session joined to one connection's transaction (the test
            # plugin's db fixture); a request session binds to the engine.
            sync_bind = bind.sync_connection
        else:
            sync_bind = bind.sync_engine
        inner = self.sync_session_class(bind=sync_bind, **self._deferred_options)
        self.sync_session = self._proxied = self._assign_proxied(inner)
        return inner

    async def get(self, entity: Any, ident: Any, **options: Any) -> Any:
        """The instance with this primary key, or None: ``AsyncSession.get``.

        On PostgreSQL, an object not yet in the session is loaded with one
        prepared statement on the session's connection when that is exactly
        what ``AsyncSession.get`` would do (:mod:`fastcore.orm.fast_get`).
        """
        if self.fast_get and not options:
            from fastcore.orm.fast_get import fast_get

            done, instance = await fast_get(self, entity, ident)
            if done:
                return instance
        return await super().get(entity, ident, **options)

    async def execute(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Any = None,
        bind_arguments: Any = None,
        **kw: Any,
    ) -> Any:
        """Run a statement; a buffered ``Result``: ``AsyncSession.execute``.

        On PostgreSQL, a plain ``select(Model)`` in a session that holds no
        objects yet is loaded with one prepared statement
        (:mod:`fastcore.orm.fast_select`); ``scalars`` comes here too.
        """
        if self.fast_get and params is None and not (execution_options or bind_arguments or kw):
            from fastcore.orm.fast_select import fast_select

            result = await fast_select(self, statement)
            if result is not None:
                return result
        if execution_options is not None:
            kw["execution_options"] = execution_options
        return await super().execute(statement, params, bind_arguments=bind_arguments, **kw)

    @property
    def was_used(self) -> bool:
        """Whether anything created the inner Session (a query, an add, a begin)."""
        return "sync_session" in self.__dict__


class DatabaseSessionMiddleware(Middleware):
    """Attach a session to each request as ``request.db`` and end it with the request.

    Installed by :meth:`fastcore.orm.Database.init_app`; takes the option
    ``database``.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(self, next: Handler, *, database: Database) -> None:
        super().__init__(next)
        self.database = database

    async def __call__(self, request: Request) -> Response:
        """Run the request inside its own session."""
        database = self.database
        if database.loop is None:
            # Startup did not run (a test client used without "with"): the
            # engine is created now; it opens connections only when used.
            await database.connect()
        session = database.new_session()
        request.db = session
        try:
            response = await self.next(request)
        except BaseException:
            if session.was_used:
                try:
                    await session.rollback()
                finally:
                    await session.close()
            raise
        # PERF: a request that never touched request.db has nothing to end.
        if session.was_used:
            try:
                if session.in_transaction():
                    if response.status_code < 400 and self._commit_is_empty(session):
                        pass  # PERF: only plain reads ran; close() releases the same way
                    elif response.status_code < 400:
                        # A failed commit (a constraint, a lost connection)
                        # raises, and the App answers 500: the client never
                        # sees success for what was not saved.
                        await session.commit()
                    else:
                        await session.rollback()
            finally:
                await session.close()
        return response

    @staticmethod
    def _commit_is_empty(session: RequestSession) -> bool:
        if not session.fast_get:
            return False  # not a PostgreSQL deferred-BEGIN session
        from fastcore.orm.deferred_begin import commit_is_empty

        return commit_is_empty(session.sync_session)


class SyncSession:
    """A blocking view of a request's AsyncSession, for ``def`` handlers.

    Each method runs the AsyncSession method of the same name on the event
    loop and waits for it; results (ORM objects, ``Result``) are the same.
    Lazy loading of relationships still cannot happen implicitly: load them
    in the query (``selectinload``) as in async code.
    """

    def __init__(self, session: AsyncSession, loop: asyncio.AbstractEventLoop) -> None:
        self.async_session = session
        self._loop = loop

    def _call(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            # Blocking here would wait forever for the loop we are blocking.
            raise RuntimeError("SyncSession is for def handlers; use request.db in async code")

        async def call() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result()

    def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        """Run a statement; returns a buffered ``Result``."""
        return self._call(lambda: self.async_session.execute(statement, params, **kw))

    def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        """Run a statement; its first column as a ``ScalarResult``."""
        return self._call(lambda: self.async_session.scalars(statement, params, **kw))

    def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        """Run a statement; the first column of its first row."""
        return self._call(lambda: self.async_session.scalar(statement, params, **kw))

    def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
        """The instance with this primary key, or None."""
        return self._call(lambda: self.async_session.get(entity, ident, **kw))

    def add(self, instance: Any) -> None:
        """Add an instance to the session (written on flush/commit)."""
        self._call(_as_coroutine(self.async_session.add, instance))

    def add_all(self, instances: Any) -> None:
        """Add several instances."""
        self._call(_as_coroutine(self.async_session.add_all, instances))

    def delete(self, instance: Any) -> None:
        """Mark an instance for deletion."""
        self._call(lambda: self.async_session.delete(instance))

    def flush(self) -> None:
        """Write pending changes (inside the request's transaction)."""
        self._call(self.async_session.flush)

    def refresh(self, instance: Any, attribute_names: Any = None) -> None:
        """Reload an instance's attributes from the database."""
        self._call(lambda: self.async_session.refresh(instance, attribute_names))

    def commit(self) -> None:
        """Commit now (the request commits at the end anyway)."""
        self._call(self.async_session.commit)

    def rollback(self) -> None:
        """Roll back now."""
        self._call(self.async_session.rollback)


def _as_coroutine(func: Callable[..., T], *args: Any) -> Callable[[], Coroutine[Any, Any, T]]:
    async def call() -> T:
        return func(*args)

    return call


async def get_db(request: Request) -> AsyncSession:
    """The request's session: a provider for handler parameters (``Depends(get_db)``)::

        @app.post("/notes")
        async def create(text: str, db: AsyncSession = Depends(get_db)):
            db.add(Note(text=text))

    It is ``request.db``, so it commits or rolls back with the request.
    ``def`` handlers use :func:`sync_session` the same way. (``async`` so the
    injector calls it in place, with no thread-pool hop.)

    Raises:
        ImproperlyConfigured: No :meth:`Database.init_app` on the app.
    """
    session: AsyncSession = request.db
    return session


def sync_session(request: Request) -> SyncSession:
    """The request's session as a blocking :class:`SyncSession`, for ``def`` handlers::

    @app.get("/count")
    def count(request: Request):
        db = sync_session(request)
        return {"notes": db.scalar(select(func.count()).select_from(Note))}
    """
    session = request.db
    if not isinstance(session, RequestSession) or session.loop is None:
        raise ImproperlyConfigured("sync_session(request) needs Database.init_app(app)")
    return SyncSession(session, session.loop)
