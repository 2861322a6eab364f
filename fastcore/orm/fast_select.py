"""``request.db.scalars(select(Model))`` on PostgreSQL without SQLAlchemy's query machinery.

A plain ``select(Model)`` (every row of one mapped table, nothing added)
through ``AsyncSession.scalars`` or ``execute`` compiles (or finds in the
cache) the ORM statement, runs it from a greenlet and loads every row through
the ORM's row processors: most of the web process's work on TechEmpower's
/fortunes (``python bench/db/callgrind_orm.py --workload fortunes``). This
module sends one prepared ``SELECT`` straight to the session's asyncpg
connection and makes each row a persistent instance of the session, as the
ORM's loader does (:func:`fastcore.orm.fast_get.attach_loaded`); the result
is SQLAlchemy's own ``ScalarResult`` / ``Result`` type.

It steps aside, and SQLAlchemy runs the statement, whenever the result could
differ in any way:

- anything on the statement besides the entity: a ``where``, ``order_by``,
  ``limit``, join, option, execution option, hint, label style, ...; any
  parameters, execution options or bind arguments of the call;
- the session's identity map is not empty (a row could be an object the
  session holds, which SQLAlchemy returns as it is);
- every condition of :mod:`fastcore.orm.fast_get` (listeners, pending
  changes for autoflush, a mapper that is not a plain table, a connection
  that would need ``BEGIN``, a failing query).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.orm import Mapper
from sqlalchemy.sql.selectable import Select

from fastcore.orm.fast_get import (
    attach_loaded_rows,
    direct_connection,
    plan_for,
    session_allows_direct_load,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["fast_select"]


class _Shape:
    """A fresh ``select(Model)``'s state, to recognise an untouched one."""

    __slots__ = ("entity_annotations", "entity_type", "label_style", "own_names", "table")

    def __init__(self, mapper: Mapper[Any]) -> None:
        reference = select(mapper.class_)
        # Every generative method (where, order_by, options, ...) copies the
        # statement and sets what it changes on the copy: a statement holding
        # only the attributes a fresh select(Model) holds has every other one
        # at its class default. (Memoized attributes also land there: then
        # it is not recognised, which is merely the slower path.)
        self.own_names = frozenset(reference.__dict__)
        self.label_style = reference._label_style
        # NOTE: not the entity clause object itself, which mapper
        # configuration replaces: its kind, ORM annotations and table.
        entity = reference._raw_columns[0]
        self.entity_type = type(entity)
        self.entity_annotations = entity._annotations
        self.table = mapper.local_table

    def matches(self, statement: Select[Any]) -> bool:
        if statement.__dict__.keys() != self.own_names:
            return False
        if statement._label_style is not self.label_style:
            return False
        columns = statement._raw_columns
        if len(columns) != 1:
            return False
        entity = columns[0]
        return (
            type(entity) is self.entity_type
            and entity._annotations == self.entity_annotations
            and entity._deannotate() is self.table
        )


_shapes: weakref.WeakKeyDictionary[Mapper[Any], _Shape] = weakref.WeakKeyDictionary()


def _plain_entity(statement: Any) -> Mapper[Any] | None:
    """The mapper of ``statement`` if it is exactly ``select(Model)``."""
    if type(statement) is not Select:
        return None
    mapper = statement._propagate_attrs.get("plugin_subject")
    if not isinstance(mapper, Mapper):
        return None
    shape = _shapes.get(mapper)
    if shape is None:
        shape = _shapes[mapper] = _Shape(mapper)
    return mapper if shape.matches(statement) else None


async def fast_select(session: AsyncSession, statement: Any) -> IteratorResult[Any] | None:
    """Run a plain ``select(Model)`` directly; None when the caller must run it through the ORM.

    The result has one column named after the entity, as SQLAlchemy's has.
    """
    mapper = _plain_entity(statement)
    if mapper is None:
        return None
    sync = session.sync_session
    if sync.identity_map or not session_allows_direct_load(sync, mapper):
        return None
    direct = await direct_connection(session)
    if direct is None:
        return None
    dialect, adapter = direct
    plan = plan_for(mapper, dialect, False)
    if plan is None:
        return None
    try:
        rows = await plan.fetch(adapter, dialect)
    except Exception:
        return None  # SQLAlchemy runs it again and raises its own exception
    if sync.identity_map:
        return None  # another coroutine of the request loaded objects meanwhile
    processors = plan.processors
    assert processors is not None
    instances = attach_loaded_rows(sync, mapper, plan.keys, processors, rows)
    metadata = SimpleResultMetaData([mapper.class_.__name__])
    return IteratorResult(metadata, iter(instances))
