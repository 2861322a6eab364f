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

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["IdMixin", "Model", "TimestampMixin", "UUIDMixin", "NAMING_CONVENTION"]

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


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class TimestampMixin:
    """``created_at`` and ``updated_at`` columns (timezone-aware UTC), maintained on write.

    The values are set in Python so they are known right after a flush without
    a refresh; the server default covers rows written by other tools.
    """

    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, onupdate=_utcnow, server_default=func.now()
    )
