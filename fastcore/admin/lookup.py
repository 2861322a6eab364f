"""The JSON lookup behind search-as-you-type foreign keys and many-to-many fields.

``GET <admin>/<app>/<model>/lookup?field=author_id&term=urs&page=1`` answers
``{"results": [{"id": "3", "text": "Ursula"}], "more": false}``: rows of the
related model matching the term in its admin's ``search_fields`` (its key when
it has none), among the rows its ``get_queryset`` allows.

It answers staff users who may add or change objects of the model whose form
has the field, and view the related model; anything else is 403, and a
parameter that is not one of ``field``, ``term`` and ``page``, a term past
100 characters or a page that is no small positive number are 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from fastcore.admin.introspect import object_repr, pk_of
from fastcore.admin.search import search_clauses
from fastcore.exceptions import BadRequest, Forbidden
from fastcore.responses import JSONResponse

if TYPE_CHECKING:
    from fastcore.admin.options import ModelAdmin
    from fastcore.admin.site import Admin
    from fastcore.requests import Request

__all__ = ["PAGE_SIZE", "lookup"]

#: Results per page.
PAGE_SIZE = 20
_MAX_TERM = 100
_MAX_PAGE = 1000
_PARAMETERS = frozenset({"field", "term", "page"})


def _parameters(request: Request) -> tuple[str, str, int]:
    values: dict[str, str] = {}
    for key, value in request.query.multi_items():
        if key not in _PARAMETERS:
            raise BadRequest(f"unknown query parameter {key!r}")
        if key in values:
            raise BadRequest(f"the query parameter {key!r} is given twice")
        values[key] = value
    term = values.get("term", "").strip()
    if len(term) > _MAX_TERM:
        raise BadRequest(f"term is longer than {_MAX_TERM} characters")
    raw_page = values.get("page", "1")
    if not raw_page.isdigit() or len(raw_page) > 4 or not 1 <= int(raw_page) <= _MAX_PAGE:
        raise BadRequest(f"page must be a whole number from 1 to {_MAX_PAGE}")
    return values.get("field", ""), term, int(raw_page)


def _related_model(model_admin: ModelAdmin, name: str) -> type[Any] | None:
    """The model the form field ``name`` picks rows of (None: no such editable field)."""
    editable = set(model_admin.get_fields(True)) | set(model_admin.get_fields(False))
    if name not in editable:
        return None
    relationship = model_admin.many_to_many.get(name)
    if relationship is not None:
        return relationship.mapper.class_  # type: ignore[no-any-return]
    info = model_admin.columns.get(name)
    return info.related if info is not None else None


async def lookup(site: Admin, request: Request, model_admin: ModelAdmin) -> JSONResponse:
    """Search the rows a foreign key or many-to-many field of ``model_admin``'s form may pick."""
    name, term, page = _parameters(request)
    if not (
        await model_admin.has_add_permission(request)
        or await model_admin.has_change_permission(request)
    ):
        raise Forbidden(f"You may not edit {model_admin.verbose_name_plural.lower()}.")
    related = _related_model(model_admin, name)
    if related is None:
        raise BadRequest(
            f"field {name!r} is no foreign key or many-to-many field "
            f"on the {model_admin.verbose_name} form"
        )
    target = site.registry.get(related)
    if target is None:
        raise BadRequest(f"field {name!r} points to {related.__name__}, not in the admin")
    if not await target.has_view_permission(request):
        raise Forbidden(f"You may not view {target.verbose_name_plural.lower()}.")
    mapper = sa.inspect(target.model)
    if len(mapper.primary_key) != 1:
        raise BadRequest(f"{related.__name__} has a composite key; type it instead")
    key_name = mapper.get_property_by_column(mapper.primary_key[0]).key
    statement = target.get_queryset(request)
    if term:
        fields = list(target.search_fields) or [key_name]
        statement = statement.where(*search_clauses(target.model, fields, term))
    order = [
        getattr(target.model, entry.removeprefix("-")).desc()
        if entry.startswith("-")
        else getattr(target.model, entry).asc()
        for entry in target.get_ordering()
    ]
    statement = statement.order_by(*order, mapper.primary_key[0]).limit(PAGE_SIZE + 1)
    rows: list[Any] = list(await request.db.scalars(statement.offset((page - 1) * PAGE_SIZE)))
    results = [{"id": str(pk_of(row)[0]), "text": object_repr(row)} for row in rows[:PAGE_SIZE]]
    return JSONResponse(
        {"results": results, "more": len(rows) > PAGE_SIZE},
        headers={"cache-control": "no-store"},
    )
