"""The admin's text search: ``search_fields`` entries, across relationships too.

An entry is a column of the model (``"title"``) or a path through its
relationships to a column of a related model (``"author__name"``). A path
becomes an EXISTS subquery (``Book.author.has(...)``), so a row matched
through several related rows is still listed once, and every term is a
bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from fastcore.admin.introspect import columns_of

__all__ = ["resolve_search_field", "search_clauses"]

#: How many words of a search are used (more are ignored).
MAX_WORDS = 10


def resolve_search_field(model: type[Any], path: str) -> str | None:
    """Why ``path`` cannot be searched on ``model``, or None when it can."""
    *hops, last = path.split("__")
    for hop in hops:
        relationship = sa.inspect(model).relationships.get(hop)
        if relationship is None:
            return f"{model.__name__} has no relationship {hop!r}"
        model = relationship.mapper.class_
    if last not in columns_of(model):
        return f"{model.__name__} has no column {last!r}"
    return None


def _matching(model: type[Any], path: str, pattern: str) -> Any:
    head, _, rest = path.partition("__")
    if rest:
        relationship = sa.inspect(model).relationships[head]
        inner = _matching(relationship.mapper.class_, rest, pattern)
        attribute = getattr(model, head)
        # A collection (one-to-many, many-to-many) matches when any member does.
        return attribute.any(inner) if relationship.uselist else attribute.has(inner)
    column = getattr(model, head)
    # A column that is not text (a number, a UUID) is searched as its text.
    if not columns_of(model)[head].is_text:
        column = sa.cast(column, sa.String)
    return column.ilike(pattern, escape="\\")


def search_clauses(model: type[Any], fields: Sequence[str], search: str) -> list[Any]:
    """One clause per word of ``search``: the word is in one of ``fields``."""
    clauses = []
    for word in search.split()[:MAX_WORDS]:
        # SECURITY: the term is a bound parameter; LIKE wildcards in it are escaped.
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(sa.or_(*[_matching(model, path, pattern) for path in fields]))
    return clauses
