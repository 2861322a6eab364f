"""``(key, label)`` pairs of a related table's rows, for selects and filters.

A foreign key select lists every row of the related table (up to the
select limit), and its label is the row's ``__str__``. Loading the rows as
ORM objects costs more than the rest of the change form: each row becomes an
instance with its state, enters the session's identity map and is discarded
when the request ends. So the rows are read as plain column tuples, and the
label is the ``__str__`` of a *shadow*: an instance of the model made
without ``__init__`` whose ``__dict__`` holds the column values. Reading a
column attribute of it answers from ``__dict__`` as on a loaded object.

A ``__str__`` that needs more than the columns (a relationship, a deferred
column) fails on a shadow, which has no ORM state; that model then takes the
ORM path from then on. Models without their own ``__str__`` (labelled by
name and key) need only the key column.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from fastcore.admin.introspect import key_text, object_repr

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["choices_of", "first_choices", "labels_of"]

#: Models whose ``__str__`` failed on a shadow: their choices are loaded as objects.
_needs_objects: weakref.WeakSet[type[Any]] = weakref.WeakSet()


def _own_str(model: type[Any]) -> bool:
    return getattr(model, "__str__", None) is not object.__str__


async def _pairs(
    session: AsyncSession, model: type[Any], where: Any, count: int | None
) -> list[tuple[Any, str]]:
    """``(key, label)`` of the rows of ``model`` matching ``where``, by key, at most ``count``."""
    mapper = sa.inspect(model)
    key = mapper.primary_key[0]
    shadowed = model not in _needs_objects and _own_str(model)
    if model in _needs_objects:
        statement = sa.select(model)
    elif not shadowed:
        statement = sa.select(key)
    else:
        attributes = [prop for prop in mapper.column_attrs if not prop.deferred]
        names = [prop.key for prop in attributes]
        position = names.index(mapper.get_property_by_column(key).key)
        statement = sa.select(*[prop.expression for prop in attributes])
    if where is not None:
        statement = statement.where(where)
    statement = statement.order_by(key)
    if count is not None:
        statement = statement.limit(count)
    if model in _needs_objects:
        objects = await session.scalars(statement)
        return [(mapper.primary_key_from_instance(row)[0], object_repr(row)) for row in objects]
    if not shadowed:
        keys = await session.scalars(statement)
        return [(value, f"{model.__name__} {key_text(value)}") for value in keys]
    rows = (await session.execute(statement)).all()
    pairs: list[tuple[Any, str]] = []
    new = object.__new__
    for row in rows:
        shadow = new(model)
        shadow.__dict__.update(zip(names, row, strict=True))
        try:
            label = str(shadow)
        except Exception:  # noqa: BLE001 - any failure: this __str__ needs a real object
            _needs_objects.add(model)
            return await _pairs(session, model, where, count)
        pairs.append((row[position], label))
    return pairs


async def first_choices(
    session: AsyncSession, model: type[Any], count: int
) -> list[tuple[Any, str]]:
    """``(key, label)`` of the first ``count`` rows of ``model`` by key.

    The model must have a single-column primary key.
    """
    return await _pairs(session, model, None, count)


async def labels_of(session: AsyncSession, model: type[Any], keys: Iterable[Any]) -> dict[Any, str]:
    """The label of each row of ``model`` whose key is in ``keys`` (one query).

    The model must have a single-column primary key.
    """
    wanted = {key for key in keys if key is not None}
    if not wanted:
        return {}
    # SECURITY: the keys are bound parameters.
    where = sa.inspect(model).primary_key[0].in_(sorted(wanted))
    return dict(await _pairs(session, model, where, None))


async def choices_of(
    session: AsyncSession, model: type[Any], limit: int
) -> list[tuple[Any, str]] | None:
    """``(key, label)`` of every row of ``model``, or None when it has more than ``limit``."""
    choices = await first_choices(session, model, limit + 1)
    return None if len(choices) > limit else choices
