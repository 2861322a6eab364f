"""The admin's add and change forms: a ModelForm per model, with foreign keys as selects.

The form class is built per request because a foreign key's choices are the
rows of the related table at that moment; the rest comes from
:func:`fastcore.forms.models.field_for_column` with two more types the admin
edits (UUID and JSON).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from fastcore.admin.introspect import ColumnInfo, object_repr
from fastcore.forms.fields import ChoiceField, Field
from fastcore.forms.models import ModelForm, field_for_column
from fastcore.forms.validators import ValidationError
from fastcore.forms.widgets import Textarea

if TYPE_CHECKING:
    from fastcore.admin.options import ModelAdmin

__all__ = ["JSONField", "UUIDField", "build_form_class", "field_for"]

#: The label of a select's empty choice.
EMPTY_CHOICE = "---------"


class UUIDField(Field[uuid.UUID]):
    """A UUID typed as text (any of the forms ``uuid.UUID`` reads)."""

    def to_python(self, raw: str) -> uuid.UUID:
        """Parse the UUID."""
        try:
            return uuid.UUID(raw.strip())
        except ValueError:
            raise ValidationError("Enter a valid UUID.") from None


class JSONField(Field[Any]):
    """A JSON document edited as text."""

    widget_class = Textarea

    def to_python(self, raw: str) -> Any:
        """Parse the JSON text."""
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ValidationError(f"Enter valid JSON ({exc}).") from None

    def format_value(self, value: Any) -> Any:
        """Show the value as indented JSON."""
        return "" if value is None else json.dumps(value, indent=2, default=str)


def field_for(info: ColumnInfo) -> Field[Any] | None:
    """The form field of a column, or None when the admin cannot edit its type."""
    field = field_for_column(info.column)
    if field is not None:
        return field
    has_default = info.column.default is not None or info.column.server_default is not None
    options: dict[str, Any] = {
        "required": not info.nullable and not has_default,
        "help_text": info.column.comment or "",
    }
    if info.python_type is uuid.UUID:
        return UUIDField(**options)
    if isinstance(info.column.type, sa.JSON):
        return JSONField(**options)
    return None


async def _foreign_key_field(
    model_admin: ModelAdmin, session: AsyncSession, info: ColumnInfo
) -> Field[Any] | None:
    """A select of the related rows, or None when there are too many for one."""
    related = info.related
    assert related is not None  # only called for foreign keys
    mapper = sa.inspect(related)
    if len(mapper.primary_key) != 1:
        return None
    limit = model_admin.foreign_key_select_limit
    rows = list(
        await session.scalars(sa.select(related).order_by(*mapper.primary_key).limit(limit + 1))
    )
    if len(rows) > limit:
        return None  # a plain key input, checked on save
    plain = field_for(info)
    required = plain.required if plain is not None else not info.nullable
    choices: list[tuple[Any, str]] = [("", EMPTY_CHOICE)]
    choices += [(mapper.primary_key_from_instance(row)[0], object_repr(row)) for row in rows]
    return ChoiceField(
        choices=choices,
        required=required,
        label=info.column.info.get("label")
        or info.key.removesuffix("_id").replace("_", " ").capitalize(),
        help_text=info.column.comment or "",
    )


async def build_form_class(
    model_admin: ModelAdmin, session: AsyncSession, names: Sequence[str]
) -> type[ModelForm]:
    """The form class editing ``names`` of the model admin's model."""
    columns = model_admin.columns
    base = model_admin.form or ModelForm
    declared = set(base.fields)
    attributes: dict[str, Any] = {}
    generated: list[str] = []
    for name in names:
        info = columns.get(name)
        if info is None or name in declared:
            continue
        field: Field[Any] | None = None
        if info.related is not None:
            field = await _foreign_key_field(model_admin, session, info)
        if field is None:
            field = field_for(info)
        if field is None:
            continue  # shown read-only (the check admin.W001 told at startup)
        if info.primary_key:
            field.required = True
        attributes[name] = field
        generated.append(name)

    class Meta:
        model = model_admin.model
        # NOTE: the fields are declared above (ModelForm would refuse the
        # UUID and JSON columns it has no field for); this only names the model.
        fields: list[str] = []

    attributes["Meta"] = Meta
    form_class: type[ModelForm] = type(
        f"{model_admin.model.__name__}AdminForm", (base,), attributes
    )
    order = [name for name in names if name in form_class.fields]
    order += [name for name in form_class.fields if name not in order]
    form_class.fields = {name: form_class.fields[name] for name in order}
    return form_class
