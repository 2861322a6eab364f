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
  ``load`` / attach event listeners; a session with ``do_orm_execute``
  listeners;
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
from sqlalchemy.orm import Mapper, make_transient_to_detached
from sqlalchemy.orm.base import instance_state
from sqlalchemy.schema import Column

from fastcore.orm.deferred_begin import _DeferredBeginConnection

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["fast_get"]

#: Relationship loading strategies that issue no query when the parent loads.
_LAZY_LOADERS = frozenset({"select", "raise", "raise_on_sql", "noload", "dynamic", "write_only"})

Processor = Callable[[Any], Any] | None


class _GetPlan:
    """How to load one mapper's rows by primary key: SQL, attribute keys, processors."""

    __slots__ = ("bind_processor", "columns", "keys", "processors", "sql")

    def __init__(
        self, mapper: Mapper[Any], columns: list[tuple[str, Column[Any]]], dialect: Dialect
    ) -> None:
        primary_key = mapper.primary_key[0]
        self.keys = tuple(key for key, _ in columns)
        self.columns = tuple(column for _, column in columns)
        # SQLAlchemy's compiler: its quoting, schema and parameter casts.
        statement = select(*self.columns).where(
            primary_key == bindparam("pk", type_=primary_key.type)
        )
        self.sql = str(statement.compile(dialect=dialect))
        self.bind_processor: Processor = primary_key.type._cached_bind_processor(dialect)
        # Found on first use, from the column types PostgreSQL reports.
        self.processors: tuple[Processor, ...] | None = None


_plans: weakref.WeakKeyDictionary[Mapper[Any], _GetPlan | None] = weakref.WeakKeyDictionary()


def _plan_for(mapper: Mapper[Any], dialect: Dialect) -> _GetPlan | None:
    try:
        return _plans[mapper]
    except KeyError:
        pass
    plan = _build_plan(mapper, dialect)
    _plans[mapper] = plan
    return plan


def _build_plan(mapper: Mapper[Any], dialect: Dialect) -> _GetPlan | None:
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
    return _GetPlan(mapper, columns, dialect)


def _has_listeners(dispatch_collection: Any) -> bool:
    return bool(dispatch_collection)


async def fast_get(session: AsyncSession, entity: Any, ident: Any) -> tuple[bool, Any]:
    """Load ``entity`` by primary key ``ident`` directly, if that is exactly like ``get``.

    Returns ``(True, instance_or_None)`` when it did, ``(False, None)`` when
    the caller must run ``AsyncSession.get``.
    """
    if isinstance(ident, tuple | list | dict) or ident is None:
        return False, None
    sync = session.sync_session
    if sync.execution_options or _has_listeners(sync.dispatch.do_orm_execute):
        return False, None
    if _has_listeners(sync.dispatch.before_attach) or _has_listeners(sync.dispatch.after_attach):
        return False, None
    # NOTE: the private sets, not .new/.dirty/.deleted, which build new
    # collections on every call; autoflush must write these before a query.
    if sync.autoflush and (sync._new or sync._deleted or sync.identity_map._modified):
        return False, None
    try:
        mapper: Mapper[Any] = entity.__mapper__
    except AttributeError:
        return False, None
    if _has_listeners(mapper.class_manager.dispatch.load):
        return False, None
    key = mapper.identity_key_from_primary_key((ident,))
    if key in sync.identity_map:
        return False, None
    connection = await session.connection()
    adapter = connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    if not isinstance(adapter, _DeferredBeginConnection):
        return False, None
    if adapter._transaction is None and (
        adapter.isolation_level is not None or adapter.readonly or adapter.deferrable
    ):
        return False, None
    plan = _plan_for(mapper, connection.dialect)
    if plan is None:
        return False, None
    raw: Any = adapter._connection
    argument = plan.bind_processor(ident) if plan.bind_processor is not None else ident
    try:
        if plan.processors is None:
            statement = await raw.prepare(plan.sql)
            plan.processors = tuple(
                column.type._cached_result_processor(connection.dialect, attribute.type.oid)
                for column, attribute in zip(plan.columns, statement.get_attributes(), strict=True)
            )
        row = await raw.fetchrow(plan.sql, argument)
    except Exception:
        # SQLAlchemy runs it again and raises its own exception (and
        # invalidates a broken connection); a read can safely be repeated.
        return False, None
    if row is None:
        return True, None
    instance = mapper.class_manager.new_instance()
    values = instance_state(instance).dict
    for attribute, processor, value in zip(plan.keys, plan.processors, row, strict=True):
        values[attribute] = value if processor is None else processor(value)
    make_transient_to_detached(instance)  # loaded, unmodified, with its identity key
    sync.add(instance)  # persistent in this session, as a load leaves it
    return True, instance
