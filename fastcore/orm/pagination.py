"""Pagination of a query: a page of items with page/size, total and links.

::

    @app.get("/notes")
    async def notes(request: Request):
        page = await paginate(request.db, select(Note).order_by(Note.id), request=request)
        return app.render("notes.html", page=page)       # or: return page.to_dict(Note.as_dict)

Templates read ``page.items``, ``page.has_next``, ``page.next_url`` and the
rest; JSON clients get ``page.to_dict()`` with the same fields and links.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fastcore.exceptions import BadRequest, ImproperlyConfigured

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["Page", "paginate"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results.

    Attributes:
        items: The rows (ORM entities, or row tuples for multi-column selects).
        page: The page number, from 1.
        size: The page size asked for.
        total: The number of rows of the whole query.
        base_path: The path links point at (empty: links are query strings only).
        query: The other query parameters, kept in every link.
    """

    items: list[T]
    page: int
    size: int
    total: int
    base_path: str = ""
    query: tuple[tuple[str, str], ...] = ()

    @property
    def pages(self) -> int:
        """The number of pages (at least 1, so "page 1 of 1" reads right when empty)."""
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        """Whether a later page exists."""
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        """Whether an earlier page exists."""
        return self.page > 1

    def url(self, page: int) -> str:
        """The link to another page of the same listing (other parameters kept)."""
        params = [*self.query, ("page", str(page)), ("size", str(self.size))]
        return f"{self.base_path}?{urlencode(params)}"

    @property
    def next_url(self) -> str | None:
        """The link to the next page, or None on the last one."""
        return self.url(self.page + 1) if self.has_next else None

    @property
    def previous_url(self) -> str | None:
        """The link to the previous page, or None on the first one."""
        return self.url(self.page - 1) if self.has_previous else None

    @property
    def links(self) -> dict[str, str | None]:
        """``first``, ``previous``, ``next`` and ``last`` links."""
        return {
            "first": self.url(1),
            "previous": self.previous_url,
            "next": self.next_url,
            "last": self.url(self.pages),
        }

    def to_dict(self, serialize: Callable[[T], Any] | None = None) -> dict[str, Any]:
        """The page as a JSON-ready dict; ``serialize`` turns each item into JSON data."""
        items = [serialize(item) for item in self.items] if serialize else list(self.items)
        return {
            "items": items,
            "page": self.page,
            "size": self.size,
            "total": self.total,
            "pages": self.pages,
            "has_next": self.has_next,
            "has_previous": self.has_previous,
            "links": self.links,
        }


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"query parameter {name!r} must be a positive integer")
    return int(raw)


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    *,
    request: Request | None = None,
    page: int | None = None,
    size: int | None = None,
    default_size: int = 20,
    max_size: int = 100,
) -> Page[Any]:
    """Run one page of ``statement`` and count the whole query.

    ``page`` and ``size`` come from the arguments, else from the request's
    ``?page=&size=`` (a size above ``max_size`` is capped), else page 1 of
    ``default_size``. Give the statement an ``order_by``: pages of an unordered
    query are not stable.

    Raises:
        BadRequest: ``page`` or ``size`` in the query is not a positive integer.
    """
    if default_size < 1 or max_size < 1:
        raise ImproperlyConfigured("paginate needs default_size >= 1 and max_size >= 1")
    default_size = min(default_size, max_size)
    if page is None:
        page = _positive_int(request, "page", 1) if request is not None else 1
    if size is None:
        size = _positive_int(request, "size", default_size) if request is not None else default_size
    page, size = max(1, page), max(1, min(size, max_size))
    count = select(func.count()).select_from(statement.order_by(None).subquery())
    total = int(await session.scalar(count) or 0)
    result = await session.execute(statement.limit(size).offset((page - 1) * size))
    # One entity per row comes back as the entity; wider selects as rows.
    if len(result.keys()) == 1:
        items: list[Any] = list(result.scalars().all())
    else:
        items = list(result.all())
    base_path = ""
    query: tuple[tuple[str, str], ...] = ()
    if request is not None:
        base_path = request.path
        query = tuple(
            (key, value)
            for key, value in request.query.multi_items()
            if key not in ("page", "size")
        )
    return Page(items, page, size, total, base_path, query)
