"""What the admin reads off a SQLAlchemy mapper: columns, keys, relationships, cascades.

Everything the admin shows or edits is derived here from the mapped class,
so a model needs no configuration to be listed, edited and deleted.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import uuid
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ColumnProperty, Mapper, RelationshipDirection, with_parent

from fastcore.exceptions import NotFound

__all__ = [
    "ColumnInfo",
    "DeletionPlan",
    "columns_of",
    "decode_pk",
    "encode_pk",
    "key_text",
    "loaded_pk",
    "object_repr",
    "pk_of",
    "plan_deletion",
]


@dataclasses.dataclass(frozen=True)
class ColumnInfo:
    """One mapped column as the admin sees it.

    Attributes:
        key: The attribute name on the model.
        column: The table column.
        python_type: The Python type of its values (None when unknown).
        enum_class: The Enum class of an ``Enum`` column.
        choices: The allowed strings of an ``Enum`` column without a class.
        related: The mapped class a single-column foreign key points at.
        relationship: The many-to-one relationship that loads ``related``.
        generated: Filled in by Python or the database (autoincrement key,
            callable default, server default, ``onupdate``), so not editable.
    """

    key: str
    column: sa.Column[Any]
    python_type: type[Any] | None
    enum_class: type[enum.Enum] | None
    choices: tuple[str, ...]
    related: type[Any] | None
    relationship: str | None
    generated: bool

    @property
    def primary_key(self) -> bool:
        """Whether the column is (part of) the primary key."""
        return bool(self.column.primary_key)

    @property
    def nullable(self) -> bool:
        """Whether NULL is allowed."""
        return bool(self.column.nullable)

    @property
    def is_text(self) -> bool:
        """Whether searching the column with LIKE makes sense."""
        return self.python_type is str and self.enum_class is None and not self.choices


def _concrete(column_type: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    if isinstance(column_type, sa.types.TypeDecorator):
        return _concrete(column_type.impl_instance)
    return column_type


def _python_type(column_type: sa.types.TypeEngine[Any]) -> type[Any] | None:
    try:
        python_type: type[Any] = _concrete(column_type).python_type
    except NotImplementedError:
        return None
    return python_type


def _is_generated(column: sa.Column[Any], single_pk: bool) -> bool:
    default = column.default
    if isinstance(default, sa.ColumnDefault) and default.is_callable:
        return True
    if column.onupdate is not None:
        return True
    if column.primary_key:
        integer = isinstance(_concrete(column.type), sa.Integer)
        autoincrement = column.autoincrement in (True, "auto")
        return bool(single_pk and integer and autoincrement) or column.server_default is not None
    return False


def _mapper_for_table(mapper: Mapper[Any], table: sa.Table) -> type[Any] | None:
    for candidate in mapper.registry.mappers:
        if candidate.local_table is table:
            return candidate.class_
    return None


def columns_of(model: type[Any]) -> dict[str, ColumnInfo]:
    """Every single-column attribute of ``model``, in mapper order."""
    mapper: Mapper[Any] = sa.inspect(model)
    single_pk = len(mapper.primary_key) == 1
    many_to_one: dict[Any, tuple[str, type[Any]]] = {}
    for link in mapper.relationships:
        if link.direction is RelationshipDirection.MANYTOONE:
            local = list(link.local_columns)
            if len(local) == 1:
                many_to_one[local[0]] = (link.key, link.mapper.class_)
    out: dict[str, ColumnInfo] = {}
    for prop in mapper.column_attrs:
        if not isinstance(prop, ColumnProperty) or len(prop.columns) != 1:
            continue
        column = prop.columns[0]
        if not isinstance(column, sa.Column):
            continue
        kind = _concrete(column.type)
        enum_class = kind.enum_class if isinstance(kind, sa.Enum) else None
        choices = tuple(kind.enums) if isinstance(kind, sa.Enum) and enum_class is None else ()
        relationship: str | None
        related: type[Any] | None
        relationship, related = many_to_one.get(column, (None, None))
        if related is None and len(column.foreign_keys) == 1:
            target = next(iter(column.foreign_keys)).column.table
            if isinstance(target, sa.Table):
                related = _mapper_for_table(mapper, target)
        out[prop.key] = ColumnInfo(
            key=prop.key,
            column=column,
            python_type=_python_type(column.type),
            enum_class=enum_class,
            choices=choices,
            related=related,
            relationship=relationship,
            generated=_is_generated(column, single_pk),
        )
    return out


def pk_of(obj: Any) -> tuple[Any, ...]:
    """The primary key values of a loaded object."""
    mapper: Mapper[Any] = sa.inspect(type(obj))
    return tuple(mapper.primary_key_from_instance(obj))


# Characters a key part keeps as they are in a URL segment; the rest are
# written "_XX" per UTF-8 byte ("," separates the parts of a composite key).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.~")
_ESCAPE = re.compile(r"_([0-9A-F]{2})")


def key_text(value: Any) -> str:
    """A key value as text (enums by value, dates in ISO form)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    return str(value)


def encode_pk(values: tuple[Any, ...]) -> str:
    """The URL segment of a primary key (composite keys joined with ",")."""
    if len(values) == 1 and type(values[0]) is int:
        return str(values[0])  # digits and "-" only: nothing to escape (the common key)
    parts = []
    for value in values:
        text = key_text(value)
        parts.append(
            "".join(
                char if char in _PLAIN else "".join(f"_{byte:02X}" for byte in char.encode())
                for char in text
            )
        )
    return ",".join(parts)


def _convert(info: ColumnInfo, text: str) -> Any:
    kind = info.python_type
    if info.enum_class is not None:
        for member in info.enum_class:
            if key_text(member) == text:
                return member
        raise ValueError(text)
    if kind is int:
        if not re.fullmatch(r"-?\d{1,19}", text):
            raise ValueError(text)
        value = int(text)
        # Past the column's range the database would raise (a 500): no such object.
        column_type = _concrete(info.column.type)
        bits = (
            16
            if isinstance(column_type, sa.SmallInteger)
            else 64
            if isinstance(column_type, sa.BigInteger)
            else 32
        )
        if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            raise ValueError(text)
        return value
    if kind is uuid.UUID:
        return uuid.UUID(text)
    if kind is datetime.datetime:
        return datetime.datetime.fromisoformat(text)
    if kind is datetime.date:
        return datetime.date.fromisoformat(text)
    if kind is decimal.Decimal:
        return decimal.Decimal(text)
    if kind is str or kind is None:
        length = getattr(_concrete(info.column.type), "length", None)
        if length is not None and len(text) > length:
            raise ValueError(text)
        return text
    return kind(text)


def _unescape(part: str) -> str:
    if "_" in _ESCAPE.sub("", part):  # a "_" that does not start an escape
        raise ValueError(part)
    data = bytearray()
    position = 0
    for match in _ESCAPE.finditer(part):
        data += part[position : match.start()].encode()
        data.append(int(match.group(1), 16))
        position = match.end()
    data += part[position:].encode()
    return data.decode()


_key_infos_cache: weakref.WeakKeyDictionary[type[Any], tuple[ColumnInfo | None, ...]] = (
    weakref.WeakKeyDictionary()
)
_key_names_cache: weakref.WeakKeyDictionary[type[Any], tuple[str, ...]] = (
    weakref.WeakKeyDictionary()
)


def _key_infos(model: type[Any]) -> tuple[ColumnInfo | None, ...]:
    """The column of each primary key part (None for one the admin cannot read)."""
    found = _key_infos_cache.get(model)
    if found is None:
        mapper: Mapper[Any] = sa.inspect(model)
        by_column: dict[Any, ColumnInfo] = {
            info.column: info for info in columns_of(model).values()
        }
        found = tuple(by_column.get(column) for column in mapper.primary_key)
        _key_infos_cache[model] = found
    return found


def _key_names(model: type[Any]) -> tuple[str, ...]:
    found = _key_names_cache.get(model)
    if found is None:
        mapper: Mapper[Any] = sa.inspect(model)
        found = tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
        _key_names_cache[model] = found
    return found


def loaded_pk(obj: Any) -> tuple[Any, ...]:
    """The primary key of an object loaded from the database, read off its attributes
    (cheaper than :func:`pk_of`, which also reads pending and changed keys right)."""
    return tuple(getattr(obj, name) for name in _key_names(type(obj)))


def decode_pk(model: type[Any], segment: str) -> tuple[Any, ...]:
    """The primary key values a URL segment names.

    Raises:
        NotFound: The segment is not a key of this model (wrong number of
            parts, a value of the wrong type, a bad escape).
    """
    infos = _key_infos(model)
    parts = segment.split(",")
    if len(parts) != len(infos) or len(segment) > 2000:
        raise NotFound(f"{model.__name__} has no object {segment!r}.")
    values = []
    try:
        for info, part in zip(infos, parts, strict=True):
            if info is None:
                raise KeyError(part)
            values.append(_convert(info, _unescape(part)))
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, decimal.InvalidOperation):
        raise NotFound(f"{model.__name__} has no object {segment!r}.") from None
    return tuple(values)


def object_repr(obj: Any) -> str:
    """How an object reads in the admin: its ``__str__`` if it has one, else model and key."""
    if getattr(type(obj), "__str__", None) is not object.__str__:
        return str(obj)
    key = ", ".join(key_text(value) for value in pk_of(obj))
    return f"{type(obj).__name__} {key}"


@dataclasses.dataclass
class DeletionPlan:
    """What deleting an object takes with it.

    Attributes:
        cascades: ``(model name, object reprs)`` of the objects deleted along.
        protected: ``(model name, object reprs)`` of objects that refer to it
            without a cascade: while they exist the object cannot be deleted.
        truncated: Some lists were cut at the limit.
    """

    cascades: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)
    protected: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)
    truncated: bool = False


async def plan_deletion(
    session: AsyncSession, obj: Any, *, depth: int = 3, limit: int = 100
) -> DeletionPlan:
    """Find the objects an ORM or ``ON DELETE CASCADE`` deletion of ``obj`` removes too.

    Follows one-to-many relationships with ``cascade="delete"`` and foreign
    keys declared ``ondelete="CASCADE"``, ``depth`` levels down, at most
    ``limit`` objects per relation. References with neither (and no
    ``SET NULL``) are reported as protected.
    """
    plan = DeletionPlan()
    await _walk(session, obj, plan, depth, limit, set())
    return plan


async def _walk(
    session: AsyncSession,
    obj: Any,
    plan: DeletionPlan,
    depth: int,
    limit: int,
    seen: set[tuple[type[Any], tuple[Any, ...]]],
) -> None:
    handled: set[sa.ForeignKey] = set()
    children = await _follow_relationships(session, obj, plan, limit, handled)
    children += await _follow_foreign_keys(session, obj, plan, limit, handled)
    if depth > 1:
        for child in children:
            key = (type(child), pk_of(child))
            if key not in seen:
                seen.add(key)
                await _walk(session, child, plan, depth - 1, limit, seen)


async def _follow_relationships(
    session: AsyncSession, obj: Any, plan: DeletionPlan, limit: int, handled: set[sa.ForeignKey]
) -> list[Any]:
    """The ORM's one-to-many relationships: ``cascade="delete"`` ones go along."""
    mapper: Mapper[Any] = sa.inspect(type(obj))
    children: list[Any] = []
    for relationship in mapper.relationships:
        if relationship.direction is not RelationshipDirection.ONETOMANY:
            continue
        for column in relationship.remote_side:
            handled.update(
                fk for fk in column.foreign_keys if fk.column.table is mapper.local_table
            )
        statement = select_children(
            relationship.mapper.class_, with_parent(obj, getattr(type(obj), relationship.key))
        )
        rows = list(await session.scalars(statement.limit(limit + 1)))
        if not rows:
            continue
        if "delete" in relationship.cascade:
            children += _record(plan.cascades, relationship.mapper.class_, rows, plan, limit)
        elif not all(column.nullable for column in relationship.remote_side):
            _record(plan.protected, relationship.mapper.class_, rows, plan, limit)
    return children


async def _follow_foreign_keys(
    session: AsyncSession, obj: Any, plan: DeletionPlan, limit: int, handled: set[sa.ForeignKey]
) -> list[Any]:
    """Foreign keys of other mapped tables no relationship covers: the database decides."""
    mapper: Mapper[Any] = sa.inspect(type(obj))
    children: list[Any] = []
    for other in mapper.registry.mappers:
        other_table = other.local_table
        if not isinstance(other_table, sa.Table):
            continue
        for fk in other_table.foreign_keys:
            if fk in handled or fk.column.table is not mapper.local_table or fk.parent is None:
                continue
            ondelete = (fk.ondelete or "").upper()
            if ondelete == "SET NULL":
                continue
            value = getattr(obj, mapper.get_property_by_column(fk.column).key)
            statement = select_children(other.class_, fk.parent == value)
            rows = list(await session.scalars(statement.limit(limit + 1)))
            if not rows:
                continue
            if ondelete == "CASCADE":
                children += _record(plan.cascades, other.class_, rows, plan, limit)
            else:
                _record(plan.protected, other.class_, rows, plan, limit)
    return children


def select_children(model: type[Any], criterion: Any) -> sa.Select[Any]:
    """The objects of ``model`` matching ``criterion``, in primary key order."""
    mapper: Mapper[Any] = sa.inspect(model)
    return sa.select(model).where(criterion).order_by(*mapper.primary_key)


def _record(
    into: list[tuple[str, list[str]]],
    model: type[Any],
    rows: list[Any],
    plan: DeletionPlan,
    limit: int,
) -> list[Any]:
    if len(rows) > limit:
        plan.truncated = True
        rows = rows[:limit]
    into.append((model.__name__, [object_repr(row) for row in rows]))
    return rows
