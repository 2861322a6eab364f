"""Everyday query helpers: fetch-or-404, existence checks and bulk inserts.

They take the session explicitly (``request.db`` in a handler), so they work
the same in requests, scripts and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fastcore.exceptions import NotFound

__all__ = ["bulk_insert", "exists", "first_or_404", "get_or_404"]

T = TypeVar("T")


async def get_or_404(
    session: AsyncSession, model: type[T], ident: Any, *, detail: str | None = None
) -> T:
    """The instance of ``model`` with primary key ``ident``, or a 404.

    Raises:
        NotFound: No such row.
    """
    instance = await session.get(model, ident)
    if instance is None:
        raise NotFound(detail or f"{model.__name__} not found")
    return instance


async def first_or_404(
    session: AsyncSession, statement: Select[Any], *, detail: str | None = None
) -> Any:
    """The first entity a ``select(...)`` returns, or a 404.

    Raises:
        NotFound: The query returned no row.
    """
    instance = (await session.scalars(statement.limit(1))).first()
    if instance is None:
        raise NotFound(detail or "not found")
    return instance


async def exists(
    session: AsyncSession, statement_or_model: Select[Any] | type[Any], **filters: Any
) -> bool:
    """Whether a query returns any row: ``exists(db, select(User).where(...))`` or
    ``exists(db, User, email=email)``. The database stops at the first match."""
    if isinstance(statement_or_model, Select):
        statement = statement_or_model.filter_by(**filters) if filters else statement_or_model
    else:
        statement = select(statement_or_model).filter_by(**filters)
    return bool(await session.scalar(select(statement.exists())))


async def bulk_insert(
    session: AsyncSession, model: type[Any], rows: Sequence[Mapping[str, Any]]
) -> int:
    """Insert many rows of ``model`` in one batched statement; the number inserted.

    Rows are plain mappings (no ORM objects are built or tracked), written in
    the session's transaction, so they commit or roll back with the request.
    """
    if not rows:
        return 0
    await session.execute(insert(model), list(rows))
    return len(rows)
