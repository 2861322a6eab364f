"""PostgreSQL transactions that begin at the first write: no round trips for reads.

SQLAlchemy's asyncpg adapter sends ``BEGIN`` before a connection's first
statement and ``COMMIT`` when the session commits, so a request that only
reads pays three round trips (and the server work for them) for one query.
Under PostgreSQL's default isolation level, READ COMMITTED, every statement
takes its own snapshot whether or not a transaction is open, so a plain
``SELECT`` run on its own sees exactly what it would have seen inside the
transaction. This adapter therefore runs plain reads without opening a
transaction and sends ``BEGIN`` just before the first statement that is not
one; from then on every statement runs inside the transaction, which commits
or rolls back as usual. A request that never wrote has nothing to commit, and
its commit and rollback cost nothing.

What stays inside a transaction, always (``BEGIN`` first):

- every statement that is not a plain ``SELECT``: writes, DDL, ``SAVEPOINT``,
  ``LOCK``, ``WITH`` (a CTE may modify data), ``CALL``;
- ``SELECT ... FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE``
  (row locks held to the end of the transaction), ``SELECT ... INTO``, and
  selects that call ``nextval``/``setval`` or transaction-scoped advisory
  locks;
- every statement when the connection's isolation level is set (REPEATABLE
  READ or SERIALIZABLE need one snapshot for all statements), or when the
  transaction is read-only or deferrable; and on a server whose
  ``default_transaction_isolation`` is not ``read committed``.

The one difference from plain SQLAlchemy, documented in docs/database.md: a
``SELECT`` that calls a function with side effects (one that writes) before
the request's first write commits those effects at once; start with a write,
use ``FOR UPDATE``, or pass ``Database(defer_begin=False)``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
    AsyncAdapt_asyncpg_dbapi,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.session import SessionTransactionState

__all__ = ["DeferredBeginDBAPI", "commit_is_empty", "is_plain_read"]

_SELECT = re.compile(r"\s*\(?\s*SELECT\b", re.IGNORECASE)
# Anything that makes a SELECT hold locks or change state past its own end.
_NOT_PLAIN = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b"
    r"|\bINTO\b|\bnextval\b|\bsetval\b|\bpg_advisory_xact_lock|\bpg_try_advisory_xact_lock",
    re.IGNORECASE,
)
_PLAIN_READ_CACHE: dict[str, bool] = {}
_PLAIN_READ_CACHE_SIZE = 1000


def is_plain_read(statement: str) -> bool:
    """Whether ``statement`` is a SELECT that may run outside the request's transaction."""
    known = _PLAIN_READ_CACHE.get(statement)
    if known is not None:
        return known
    plain = _SELECT.match(statement) is not None and _NOT_PLAIN.search(statement) is None
    # PERF: SQLAlchemy sends the same compiled strings again and again; the
    # cache is bounded so generated SQL cannot grow it without limit.
    if len(_PLAIN_READ_CACHE) < _PLAIN_READ_CACHE_SIZE:
        _PLAIN_READ_CACHE[statement] = plain
    return plain


class _DeferredBeginCursor(AsyncAdapt_asyncpg_cursor):
    """A cursor that runs plain reads without opening the connection's transaction."""

    __slots__ = ()

    async def _prepare_and_execute(self, operation: str, parameters: Any) -> None:
        connection = self._adapt_connection
        if (
            connection._transaction is None
            and connection.isolation_level is None
            and not connection.readonly
            and not connection.deferrable
            and is_plain_read(operation)
        ):
            # NOTE: the stock cursor opens a transaction before any statement
            # unless the connection is in autocommit; for this one statement
            # it is. The connection is used by one session at a time.
            connection.isolation_level = "autocommit"
            try:
                await super()._prepare_and_execute(operation, parameters)  # type: ignore[no-untyped-call]
            finally:
                connection.isolation_level = None
            return
        await super()._prepare_and_execute(operation, parameters)  # type: ignore[no-untyped-call]


class _DeferredBeginConnection(AsyncAdapt_asyncpg_connection):
    """SQLAlchemy's asyncpg connection adapter with :class:`_DeferredBeginCursor`."""

    __slots__ = ()
    _cursor_cls = _DeferredBeginCursor


class DeferredBeginDBAPI(AsyncAdapt_asyncpg_dbapi):
    """The asyncpg DBAPI adapter whose connections begin transactions at the first write.

    Passed to ``create_async_engine(module=...)`` by :class:`fastcore.orm.Database`
    on PostgreSQL; a server whose default isolation level is not READ COMMITTED
    keeps SQLAlchemy's behaviour (``BEGIN`` before the first statement).
    """

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_asyncpg_connection:
        """Open a connection (SQLAlchemy's adapter), deferring BEGIN where that is safe."""
        connection: AsyncAdapt_asyncpg_connection = super().connect(*args, **kwargs)  # type: ignore[no-untyped-call]
        if _server_isolation_is_read_committed(connection):
            # Same slots, same layout: only the cursor class differs.
            connection.__class__ = _DeferredBeginConnection
        return connection


def _server_isolation_is_read_committed(connection: AsyncAdapt_asyncpg_connection) -> bool:
    # One query per new pooled connection: a server (or role, or database)
    # configured for a stricter default needs every statement in one snapshot.
    cursor = connection.cursor()
    level = connection.isolation_level
    try:
        connection.isolation_level = "autocommit"
        try:
            cursor.execute("SHOW default_transaction_isolation")
            row = cursor.fetchone()
        finally:
            connection.isolation_level = level
    finally:
        cursor.close()
    return row is not None and str(row[0]).lower() == "read committed"


def commit_is_empty(session: Session) -> bool:
    """Whether committing ``session`` now would send nothing and run no hook.

    True when the session's transaction is a plain root one with nothing to
    flush, no ``before_commit``/``after_commit`` listener is registered, and
    every connection it holds is a deferred-BEGIN connection that never
    began (only plain reads ran). Closing such a session releases its
    connections exactly as committing it would, at a fraction of the cost.
    """
    transaction = session._transaction
    if (
        transaction is None
        or transaction._parent is not None
        or transaction._state is not SessionTransactionState.ACTIVE
        or session.twophase
        or session.dispatch.before_commit
        or session.dispatch.after_commit
        or not session._is_clean()
    ):
        return False
    for connection, _, _, _ in transaction._connections.values():
        if connection._has_events or connection.engine._has_events:
            return False  # a ConnectionEvents.commit listener expects its call
        adapter = connection.connection.dbapi_connection
        if not isinstance(adapter, _DeferredBeginConnection) or adapter._transaction is not None:
            return False
    return True
