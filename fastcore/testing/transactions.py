"""A test inside one database transaction, rolled back afterwards, that the app's sessions join.

:class:`TestTransaction` opens a connection on the app's
:class:`~fastcore.orm.Database`, begins a transaction on it, and routes every
session the database makes from then on (``request.db`` of each request,
``database.session()``) to that connection, in SQLAlchemy's
``join_transaction_mode="create_savepoint"``: a session's ``commit()``
releases a savepoint and its ``rollback()`` rolls back to one, so the app
behaves as in production while the outer transaction stays open. Ending the
test transaction rolls everything back: the next test starts from the same
empty tables, with no truncation and no re-creation.

The pytest plugin's ``db`` fixture uses it; other test runners can too::

    transaction = TestTransaction(database)
    await transaction.begin()
    try:
        ...  # requests, transaction.session
    finally:
        await transaction.end()
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from fastcore.exceptions import ImproperlyConfigured
from fastcore.orm.session import RequestSession

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction
    from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

    from fastcore.orm.database import Database

__all__ = ["TestTransaction"]

_HOLDS_LOCK = "fastcore_test_transaction_lock"


class TestTransaction:
    """Run the sessions of ``database`` inside one transaction, rolled back by :meth:`end`.

    Args:
        database: The app's Database (connected by :meth:`begin` if it is not).
        serialize: Let one session at a time use the shared connection: needed
            when requests run concurrently (a live server), whose savepoints
            would otherwise interleave on the one connection.
        lock_timeout: Seconds a session waits for the connection before
            failing with a message saying which session holds it.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self, database: Database, *, serialize: bool = False, lock_timeout: float = 10.0
    ) -> None:
        self.database = database
        self.serialize = serialize
        self.lock_timeout = lock_timeout
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None
        self._connected_here = False
        self._lock: asyncio.Lock | None = None
        self._session: RequestSession | None = None

    @property
    def session(self) -> RequestSession:
        """The test's own session, in the same transaction as the app's."""
        if self._session is None:
            raise ImproperlyConfigured("the test transaction has not begun: await begin() first")
        return self._session

    async def begin(self) -> None:
        """Open the connection and its transaction; route the database's sessions to it."""
        database = self.database
        if "new_session" in vars(database):
            raise ImproperlyConfigured(f"{database!r} is already inside a test transaction")
        if database.loop is None:
            await database.connect()
            self._connected_here = True
        self._connection = connection = await database.engine.connect()
        if database.backend == "sqlite":
            # NOTE: Python's sqlite3 driver begins a transaction only before
            # a write and ends it on its own around SAVEPOINT statements, so
            # the outer transaction would not hold. In the driver's autocommit
            # mode it leaves transactions alone and BEGIN here opens the one
            # everything else nests in (SQLAlchemy's "pysqlite savepoints"
            # recipe, for this connection only; the pool restores the mode).
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            self._transaction = await connection.begin()
            await connection.exec_driver_sql("BEGIN")
        else:
            self._transaction = await connection.begin()
        self._lock = asyncio.Lock() if self.serialize else None
        # NOTE: an instance attribute shadows the method for this object only;
        # DatabaseSessionMiddleware and Database.session() both call it.
        database.new_session = self._new_session  # type: ignore[method-assign]
        self._session = self._new_session()

    def _new_session(self) -> RequestSession:
        session = RequestSession(
            self._connection,
            loop=self.database.loop,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
        if self._lock is not None:
            self._serialize(session.sync_session, self._lock)
        return session

    def _serialize(self, session: Session, lock: asyncio.Lock) -> None:
        timeout = self.lock_timeout

        # A session holds the lock from its first statement or flush (the
        # moment it would emit its SAVEPOINT) until its outermost transaction
        # ends (released or rolled back), so each session's savepoint is
        # alone on the connection. Both events run inside SQLAlchemy's
        # greenlet, where the lock can be awaited; the transaction that
        # session.add() begins does not, which is why it is not the hook.
        def hold(session: Session) -> None:
            if session.info.get(_HOLDS_LOCK) or not in_greenlet():
                return
            try:
                await_only(asyncio.wait_for(lock.acquire(), timeout))
            except TimeoutError:
                raise ImproperlyConfigured(
                    f"a database session waited {timeout} s for the test transaction's "
                    "connection: another session holds it (call db.commit() or "
                    "db.rollback() in the test before the server needs the database)"
                ) from None
            session.info[_HOLDS_LOCK] = True

        @event.listens_for(session, "after_transaction_create")
        def on_transaction(session: Session, transaction: SessionTransaction) -> None:
            hold(session)

        @event.listens_for(session, "do_orm_execute")
        def on_execute(state: ORMExecuteState) -> None:
            hold(state.session)

        @event.listens_for(session, "after_transaction_end")
        def release(session: Session, transaction: SessionTransaction) -> None:
            if transaction.parent is None and session.info.pop(_HOLDS_LOCK, False):
                lock.release()

    async def end(self) -> None:
        """Roll everything back, return the connection and restore the database."""
        database = self.database
        vars(database).pop("new_session", None)
        try:
            if self._session is not None:
                await self._session.close()
            if self._connection is not None and self.database.backend == "sqlite":
                await self._connection.exec_driver_sql("ROLLBACK")
            if self._transaction is not None and self._transaction.is_active:
                await self._transaction.rollback()
        finally:
            if self._connection is not None:
                await self._connection.close()
            self._session = self._transaction = self._connection = None
            if self._connected_here:
                await database.disconnect()

    def __repr__(self) -> str:
        state = "open" if self._transaction is not None else "closed"
        return f"<TestTransaction {state} on {self.database!r}>"
