"""``request.db.get(Model, pk)`` on PostgreSQL without SQLAlchemy's query machinery.

``AsyncSession.get`` of an object that is not in the session yet builds a
``select(Model)``, computes its cache key, runs it through the ORM's
compile-state, executes it from a greenlet and loads the row: about a million
CPU instructions in the web process, for a query PostgreSQL answers in a few
microseconds (``python bench/db/callgrind_orm.py``). For the common case this
module sends one prepared ``SELECT`` straight to the session's asyncpg
connection and makes the row a persistent instance of the session, as a load
would: in its identity map, with every column loaded and no pending change,
relationships left to load lazily (``awaitable_attrs``) as after a normal get.

A request session that has no connection yet reads on a pool connection it
keeps for its direct loads alone (:func:`direct_connection`,
:class:`fastcore.orm.session.RequestOrmSession`), so a request that only
reads never builds SQLAlchemy's ``Connection`` and transaction objects.

It steps aside, and ``AsyncSession.get`` runs unchanged, whenever it could not
behave exactly like it:

- any option of ``get`` (``options``, ``populate_existing``,
  ``with_for_update``, ``identity_token``, ``execution_options``), a
  composite or dict identity, a session with execution options;
- the object is already in the identity map (SQLAlchemy's lookup handles
  expired and deleted states);
- pending changes that autoflush must write first;
- a mapper with inheritance, polymorphic loading, ``always_refresh``,
  deferred or SQL-expression columns, eagerly loaded relationships, or
  ``load`` event listeners; a session with ``do_orm_execute`` or
  ``loaded_as_persistent`` listeners;
- a connection that would need ``BEGIN`` first (:mod:`.deferred_begin`: a
  set isolation level, a read-only or deferrable transaction);
- the query fails: SQLAlchemy then runs it and raises its own exception
  (connection invalidation included).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.base import instance_state
from sqlalchemy.orm.session import SessionTransactionState
from sqlalchemy.schema import Column
from sqlalchemy.util import greenlet_spawn

from fastcore.orm.deferred_begin import _DeferredBeginConnection

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "LoadPlan",
    "attach_loaded",
    "attach_loaded_rows",
    "direct_connection",
    "fast_get",
    "plan_for",
    "session_allows_direct_load",
]

_ACTIVE = SessionTransactionState.ACTIVE

#: Relationship loading strategies that issue no query when the parent loads.
_LAZY_LOADERS = frozenset({"select", "raise", "raise_on_sql", "noload", "dynamic", "write_only"})

Processor = Callable[[Any], Any] | None


class LoadPlan:
    """How to load one mapper's rows directly: SQL, attribute keys, processors.

    ``by_primary_key``: ``SELECT ... WHERE pk = $1`` (for ``get``), else every
    row of the table (for a plain ``select(Model)``).
    """

    __slots__ = ("bind_processor", "columns", "keys", "processors", "sql")

    def __init__(
        self,
        mapper: Mapper[Any],
        columns: list[tuple[str, Column[Any]]],
        dialect: Dialect,
        by_primary_key: bool,
    ) -> None:
        primary_key = mapper.primary_key[0]
        self.keys = tuple(key for key, _ in columns)
        self.columns = tuple(column for _, column in columns)
        # SQLAlchemy's compiler: its quoting, schema and parameter casts.
        statement = select(*self.columns)
        if by_primary_key:
            statement = statement.where(primary_key == bindparam("pk", type_=primary_key.type))
        self.sql = str(statement.compile(dialect=dialect))
        self.bind_processor: Processor = primary_key.type._cached_bind_processor(dialect)
        # Found on first use, from the column types PostgreSQL reports.
        self.processors: tuple[Processor, ...] | None = None

    async def fetch(self, adapter: Any, dialect: Dialect, *arguments: Any) -> list[Any]:
        """Every row of this plan's statement on the asyncpg connection behind ``adapter``."""
        raw: Any = adapter._connection
        if self.processors is None:
            statement = await raw.prepare(self.sql)
            self.processors = tuple(
                column.type._cached_result_processor(dialect, attribute.type.oid)
                for column, attribute in zip(self.columns, statement.get_attributes(), strict=True)
            )
        rows: list[Any] = await raw.fetch(self.sql, *arguments)
        return rows


_plans: dict[bool, weakref.WeakKeyDictionary[Mapper[Any], LoadPlan | None]] = {
    True: weakref.WeakKeyDictionary(),
    False: weakref.WeakKeyDictionary(),
}


def plan_for(mapper: Mapper[Any], dialect: Dialect, by_primary_key: bool) -> LoadPlan | None:
    """The cached plan for ``mapper``, or None when its rows cannot be loaded directly."""
    plans = _plans[by_primary_key]
    try:
        return plans[mapper]
    except KeyError:
        pass
    plan = _build_plan(mapper, dialect, by_primary_key)
    plans[mapper] = plan
    return plan


def _build_plan(mapper: Mapper[Any], dialect: Dialect, by_primary_key: bool) -> LoadPlan | None:
    if (
        mapper.inherits is not None
        or mapper.polymorphic_on is not None
        or mapper.with_polymorphic
        or mapper.always_refresh
        or len(mapper.primary_key) != 1
        or mapper.local_table is not mapper.persist_selectable
    ):
        return None
    table = mapper.local_table
    columns: list[tuple[str, Column[Any]]] = []
    for prop in mapper.column_attrs:
        if prop.deferred or len(prop.columns) != 1:
            return None
        column = prop.columns[0]
        if not isinstance(column, Column) or column.table is not table:
            return None
        columns.append((prop.key, column))
    for relationship in mapper.relationships:
        if relationship.lazy not in _LAZY_LOADERS:
            return None
    return LoadPlan(mapper, columns, dialect, by_primary_key)


def session_allows_direct_load(sync: Session, mapper: Mapper[Any]) -> bool:
    """Whether a load of ``mapper`` in ``sync`` runs no hook and needs no autoflush first."""
    if sync.execution_options or sync.dispatch.do_orm_execute:
        return False
    if sync.dispatch.loaded_as_persistent or mapper.class_manager.dispatch.load:
        return False
    # NOTE: the private sets, not .new/.dirty/.deleted, which build new
    # collections on every call; autoflush must write these before a query.
    return not (sync.autoflush and (sync._new or sync._deleted or sync.identity_map._modified))


async def direct_connection(session: AsyncSession) -> tuple[Dialect, Any] | None:
    """The dialect and deferred-BEGIN adapter a direct read of ``session`` may use.

    The session's own connection when it has one (its transaction, if begun,
    is where the read must run); else, for a request session
    (:class:`~fastcore.orm.session.RequestOrmSession`) that SQLAlchemy has
    not given a connection yet, a pool connection it keeps for its reads
    until it needs one for anything else: no ``Connection``, transaction or
    session bookkeeping for a request that only reads. None when the
    connection would need ``BEGIN`` before a read (a set isolation level, a
    read-only or deferrable transaction) or is not one of
    :mod:`.deferred_begin`'s.
    """
    sync = session.sync_session
    connection = _open_connection(sync)
    if connection is None:
        held = await _read_connection(sync)
        if held is not None:
            adapter = held.dbapi_connection
            if isinstance(adapter, _DeferredBeginConnection) and adapter._transaction is None:
                if adapter.isolation_level is None and not adapter.readonly:
                    if not adapter.deferrable:
                        return sync.bind.dialect, adapter  # type: ignore[union-attr]
            return None
        # PERF: Session.connection() in SQLAlchemy's greenlet, as
        # AsyncSession.connection() runs it, without the AsyncConnection proxy
        # it would build around the result (a direct load needs only this).
        connection = await greenlet_spawn(sync.connection)
    if connection._echo:
        return None  # echo=True logs every statement: SQLAlchemy's path does
    adapter = connection.connection.dbapi_connection
    if not isinstance(adapter, _DeferredBeginConnection):
        return None
    if adapter._transaction is None and (
        adapter.isolation_level is not None or adapter.readonly or adapter.deferrable
    ):
        return None
    return connection.dialect, adapter


async def _read_connection(sync: Session) -> Any:
    """The request session's read connection, taken from the pool if it has none yet.

    None when the session may not read on a connection of its own: not a
    request session, a transaction that is not a fresh root one, binds per
    mapper, or engine-level listeners or logging that expect a ``Connection``.
    """
    read_connection = getattr(sync, "read_connection", False)
    if read_connection is False:
        return None  # not a RequestOrmSession
    transaction = sync._transaction
    if transaction is not None and (
        transaction._state is not _ACTIVE
        or transaction._parent is not None
        or transaction._connections
    ):
        return None  # SQLAlchemy's path raises or reuses what it must
    if read_connection is not None:
        if transaction is None:
            sync._autobegin_t()  # after a commit, as the next query would
        return read_connection
    engine = sync.bind
    if (
        engine is None
        or type(engine) is not Engine
        or sync.binds
        or sync.twophase
        or engine._has_events
        or engine._execution_options
        or engine._should_log_info()
    ):
        return None
    return await greenlet_spawn(_take_read_connection, sync, engine)


def _take_read_connection(sync: Any, engine: Engine) -> Any:
    # In SQLAlchemy's greenlet: the pool may wait for a free connection.
    if sync.read_connection is None:
        sync.read_connection = engine.raw_connection()
    # As any query would: the session is in a transaction from here on
    # (in_transaction() is True), which opens nothing in the database.
    sync._autobegin_t()
    return sync.read_connection


async def fast_get(session: AsyncSession, entity: Any, ident: Any) -> tuple[bool, Any]:
    """Load ``entity`` by primary key ``ident`` directly, if that is exactly like ``get``.

    Returns ``(True, instance_or_None)`` when it did, ``(False, None)`` when
    the caller must run ``AsyncSession.get``.
    """
    if isinstance(ident, tuple | list | dict) or ident is None:
        return False, None
    try:
        mapper: Mapper[Any] = entity.__mapper__
    except AttributeError:
        return False, None
    sync = session.sync_session
    if not session_allows_direct_load(sync, mapper):
        return False, None
    key = mapper.identity_key_from_primary_key((ident,))
    if key in sync.identity_map:
        return False, None
    direct = await direct_connection(session)
    if direct is None:
        return False, None
    dialect, adapter = direct
    plan = plan_for(mapper, dialect, True)
    if plan is None:
        return False, None
    argument = plan.bind_processor(ident) if plan.bind_processor is not None else ident
    try:
        rows = await plan.fetch(adapter, dialect, argument)
    except Exception:
        # SQLAlchemy runs it again and raises its own exception (and
        # invalidates a broken connection); a read can safely be repeated.
        return False, None
    if not rows:
        return True, None
    if key in sync.identity_map:
        # Another coroutine of this request loaded it meanwhile: SQLAlchemy's
        # get finds that one (one object per identity, always).
        return False, None
    assert plan.processors is not None
    return True, attach_loaded(sync, mapper, key, plan.keys, plan.processors, rows[0])


def attach_loaded(
    sync: Session,
    mapper: Mapper[Any],
    key: Any,
    keys: tuple[str, ...],
    processors: tuple[Processor, ...],
    row: Any,
) -> Any:
    """A new instance made persistent in ``sync`` from ``row``, as SQLAlchemy's loader leaves it.

    The caller has checked that ``key`` is not in the identity map and that
    no ``load`` or ``loaded_as_persistent`` listener must run.
    """
    instance = mapper.class_manager.new_instance()
    state = instance_state(instance)
    values = state.dict
    for attribute, processor, value in zip(keys, processors, row, strict=True):
        values[attribute] = value if processor is None else processor(value)
    # What loading._instance does for a new row: identity, session, path.
    state.key = key
    state.identity_token = None
    state.session_id = sync.hash_key
    state.load_options = ()
    state.load_path = mapper._path_registry
    sync.identity_map._add_unpresent(state, key)
    return instance


def attach_loaded_rows(
    sync: Session,
    mapper: Mapper[Any],
    keys: tuple[str, ...],
    processors: tuple[Processor, ...],
    rows: list[Any],
) -> list[tuple[Any]]:
    """:func:`attach_loaded` for every row of a table read, each as a one-element tuple.

    The caller has checked that the identity map is empty (no row can be an
    object the session holds) and that no listener must run. PERF: the
    per-row invariants are looked up once (/fortunes loads 12 rows a request).
    """
    new_instance = mapper.class_manager.new_instance
    add = sync.identity_map._add_unpresent
    identity_class = mapper._identity_class
    hash_key = sync.hash_key
    path = mapper._path_registry
    primary_index = keys.index(mapper.get_property_by_column(mapper.primary_key[0]).key)
    primary_processor = processors[primary_index]
    converted = any(processor is not None for processor in processors)
    loaded: list[tuple[Any]] = []
    for row in rows:
        instance = new_instance()
        state = instance_state(instance)
        if converted:
            state.dict.update(
                (attribute, value if processor is None else processor(value))
                for attribute, processor, value in zip(keys, processors, row, strict=True)
            )
        else:
            state.dict.update(zip(keys, row, strict=True))
        primary_key = row[primary_index]
        if primary_processor is not None:
            primary_key = primary_processor(primary_key)
        # mapper.identity_key_from_primary_key((primary_key,)), inlined.
        key = (identity_class, (primary_key,), None)
        state.key = key
        state.identity_token = None
        state.session_id = hash_key
        state.load_options = ()
        state.load_path = path
        add(state, key)
        loaded.append((instance,))
    return loaded


def _open_connection(sync: Session) -> Connection | None:
    """The connection the session's active transaction already holds, if any.

    PERF: ``AsyncSession.connection()`` hops into a greenlet and through the
    transaction's bookkeeping (about a third of a get) to return this.
    """
    transaction = sync._transaction
    if transaction is None or transaction._state is not _ACTIVE:
        return None
    bind = sync.bind
    if bind is None:
        return None
    entry = transaction._connections.get(bind)
    if entry is None:
        return None
    connection: Connection = entry[0]
    if connection.closed or connection.invalidated:
        return None
    return connection
