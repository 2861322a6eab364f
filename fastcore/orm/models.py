"""The declarative base for application models, and the common column mixins.

Models are plain SQLAlchemy 2 declarative classes written in the typed
``Mapped[...]`` style; fastcore adds only defaults a web app wants::

    from fastcore.orm import IdMixin, Model, TimestampMixin

    class Note(IdMixin, TimestampMixin, Model):
        __tablename__ = "notes"
        text: Mapped[str] = mapped_column(String(500))
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator, func
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "NAMING_CONVENTION",
    "IdMixin",
    "Model",
    "TimestampMixin",
    "UTCDateTime",
    "UUIDMixin",
    "utcnow",
]

#: Constraint names that Alembic can diff and drop on every backend (SQLite
#: and PostgreSQL name unnamed constraints differently, which breaks downgrades).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(AsyncAttrs, DeclarativeBase):
    """The base class of application models (its ``metadata`` drives migrations).

    ``AsyncAttrs`` gives every instance ``await obj.awaitable_attrs.relation``
    for loading a lazy relationship explicitly, since implicit lazy loads
    cannot run under asyncio.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        mapper = self.__mapper__
        keys = ", ".join(
            f"{column.key}={getattr(self, str(column.key), None)!r}"
            for column in mapper.primary_key
        )
        return f"<{type(self).__name__} {keys}>"


class IdMixin:
    """An auto-incrementing integer primary key named ``id`` (the first column)."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)


class UUIDMixin:
    """A UUID4 primary key named ``id``, generated in Python (no round trip needed)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-1)


class UTCDateTime(TypeDecorator[datetime.datetime]):
    """A timezone-aware datetime stored in UTC, read back aware on every backend.

    SQLite has no time zones and hands back naive values, which then cannot be
    compared with ``datetime.now(UTC)``; this type makes both backends agree.
    A naive value given to it is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        """Normalize to UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime.datetime | None:
        """Attach UTC to what SQLite returns naive."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)  # type: ignore[no-any-return]
        return value  # type: ignore[no-any-return]


def utcnow() -> datetime.datetime:
    """The current time as an aware UTC datetime (the default of timestamp columns)."""
    return datetime.datetime.now(datetime.UTC)


class TimestampMixin:
    """``created_at`` and ``updated_at`` columns (timezone-aware UTC), maintained on write.

    The values are set in Python so they are known right after a flush without
    a refresh; the server default covers rows written by other tools.
    """

    created_at: Mapped[datetime.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )
