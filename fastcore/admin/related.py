"""Many-to-many fields of the admin's forms: read the current keys, check the picked ones,
write the collection.

The collection is read and written inside ``session.run_sync`` so SQLAlchemy
may load it lazily, as it does outside asyncio.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from fastcore.admin.introspect import pk_of

if TYPE_CHECKING:
    from fastcore.admin.options import ModelAdmin
    from fastcore.forms.forms import Form

__all__ = ["load_related", "related_keys", "related_objects", "set_related"]

#: How many unknown keys an error message names.
_SHOWN = 10


async def related_keys(
    session: AsyncSession, model_admin: ModelAdmin, obj: Any, names: Iterable[str]
) -> dict[str, list[Any]]:
    """The keys of the objects ``obj`` is linked to, by many-to-many field, sorted."""
    wanted = [name for name in names if name in model_admin.many_to_many]
    if not wanted:
        return {}

    def read(sync_session: Any) -> dict[str, list[Any]]:
        # No autoflush: the object may hold form values not checked yet.
        with sync_session.no_autoflush:
            return {name: sorted(pk_of(item)[0] for item in getattr(obj, name)) for name in wanted}

    return await session.run_sync(read)


async def load_related(session: AsyncSession, obj: Any, names: list[str]) -> None:
    """Load the collections ``names`` of ``obj``, so templates may read them."""
    if names:
        await session.run_sync(lambda _: [list(getattr(obj, name)) for name in names])


async def related_objects(
    session: AsyncSession, model_admin: ModelAdmin, form: Form
) -> dict[str, list[Any]] | None:
    """The objects each many-to-many field picked; None (errors on the form) if a key is unknown."""
    found: dict[str, list[Any]] = {}
    for name, field in form.fields.items():
        relationship = model_admin.many_to_many.get(name)
        if relationship is None or field.disabled:
            continue
        keys = list(dict.fromkeys(form.cleaned_data.get(name) or ()))
        target = relationship.mapper
        rows: list[Any] = []
        if keys:
            # SECURITY: the keys are bound parameters, already typed by the field.
            statement = sa.select(target.class_).where(target.primary_key[0].in_(keys))
            rows = list(await session.scalars(statement))
        present = {pk_of(row)[0] for row in rows}
        missing = [key for key in keys if key not in present]
        if missing:
            shown = ", ".join(str(key) for key in missing[:_SHOWN])
            more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
            form.add_error(name, f"These do not exist: {shown}{more}.")
            return None
        found[name] = rows
    return found


async def set_related(session: AsyncSession, obj: Any, related: dict[str, list[Any]]) -> None:
    """Link ``obj`` to exactly the given objects, per many-to-many field."""
    if not related:
        return

    def write(sync_session: Any) -> None:
        with sync_session.no_autoflush:
            for name, items in related.items():
                setattr(obj, name, items)

    await session.run_sync(write)
