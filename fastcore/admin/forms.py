"""The admin's add and change forms: a ModelForm per model, with foreign keys as selects.

The form class is built once per model admin and field list; only the fields
whose choices are the rows of a related table at that moment (foreign key
and many-to-many selects) are added per request. The rest comes from
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

from fastcore.admin.choices import choices_of
from fastcore.admin.introspect import ColumnInfo, columns_of
from fastcore.forms.fields import ChoiceField, Field, MultipleChoiceField
from fastcore.forms.forms import Form
from fastcore.forms.models import ModelForm, field_for_column
from fastcore.forms.validators import ValidationError
from fastcore.forms.widgets import SelectMultiple, Textarea, TextInput

if TYPE_CHECKING:
    from fastcore.admin.options import ModelAdmin
    from fastcore.requests import Request

__all__ = [
    "JSONField",
    "KeyListField",
    "LookupInput",
    "UUIDField",
    "build_form_class",
    "field_for",
    "foreign_keys_exist",
    "lookup_url",
]

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


class LookupInput(TextInput):
    """A key typed as text; the admin's script adds search-as-you-type over it.

    With scripts off it stays what it is: a text box for the related row's key.
    """

    def __init__(self, url: str, multiple: bool = False) -> None:
        attrs = {"data-lookup-url": url, "autocomplete": "off", "class": "lookup"}
        if multiple:
            # Several keys, comma-separated: a pick adds one (a many-to-many field).
            attrs["data-lookup-multiple"] = "true"
        super().__init__(attrs)


class KeyListField(Field[list[Any]]):
    """Keys of related rows typed as text, separated by commas (a many-to-many past the
    select limit)."""

    def __init__(self, key: Field[Any], **options: Any) -> None:
        super().__init__(**options)
        self.key = key

    def empty_value(self) -> list[Any]:
        """No key is an empty list."""
        return []

    def to_python(self, raw: str) -> list[Any]:
        """Parse each key with the key column's field."""
        parts = [part.strip() for part in raw.replace(" ", ",").split(",") if part.strip()]
        if len(parts) > MAX_RELATED:
            raise ValidationError(f"Pick at most {MAX_RELATED} objects.")
        try:
            return [self.key.to_python(part) for part in parts]
        except ValidationError as exc:
            raise ValidationError(f"{exc.messages[0]} (in {raw[:50]!r})") from None

    def format_value(self, value: Any) -> Any:
        """The keys, comma-separated."""
        return ", ".join(str(item) for item in value or ())


#: The most objects a many-to-many field may pick at once.
MAX_RELATED = 1000


def _label(name: str, info: ColumnInfo | None = None) -> str:
    if info is not None and info.column.info.get("label"):
        return str(info.column.info["label"])
    return name.removesuffix("_id").replace("_", " ").capitalize()


def _single_key(related: type[Any]) -> bool:
    return len(sa.inspect(related).primary_key) == 1


def lookup_url(request: Request, model_admin: ModelAdmin, name: str) -> str:
    """The JSON lookup endpoint for the field ``name`` of ``model_admin``'s form."""
    base = request.app.url_for(
        "admin.lookup", app_label=model_admin.app_label, model_name=model_admin.model_name
    )
    return f"{base}?field={name}"


def _static_fields(
    model_admin: ModelAdmin, request: Request, names: Sequence[str]
) -> type[ModelForm]:
    """The part of the form that does not depend on the table contents (built once)."""
    columns = model_admin.columns
    base = model_admin.form or ModelForm
    declared = set(base.fields)
    attributes: dict[str, Any] = {}
    for name in names:
        info = columns.get(name)
        if info is None or name in declared:
            continue
        field = field_for(info)
        if field is None:
            continue  # shown read-only (the check admin.W001 told at startup)
        if info.primary_key:
            field.required = True
        if info.related is not None and _single_key(info.related):
            # A select replaces it per request unless the field is in
            # autocomplete_fields or the related table is past the select limit.
            field.widget = LookupInput(lookup_url(request, model_admin, name))
            field.label = _label(name, info)
        attributes[name] = field

    class Meta:
        model = model_admin.model
        # NOTE: the fields are declared above (ModelForm would refuse the
        # UUID and JSON columns it has no field for); this only names the model.
        fields: list[str] = []

    attributes["Meta"] = Meta
    form_class: type[ModelForm] = type(
        f"{model_admin.model.__name__}AdminForm", (base,), attributes
    )
    return form_class


async def _related_fields(
    model_admin: ModelAdmin, request: Request, names: Sequence[str], static: type[ModelForm]
) -> dict[str, Field[Any]]:
    """Selects of the related rows (their choices are read per request); ``static`` is the
    class built once, whose key fields they replace."""
    session: AsyncSession = request.db
    out: dict[str, Field[Any]] = {}
    limit = model_admin.foreign_key_select_limit
    lookups = model_admin.lookup_fields
    for name in names:
        info = model_admin.columns.get(name)
        if info is not None and info.related is not None and name not in lookups:
            if not _single_key(info.related):
                continue
            choices = await choices_of(session, info.related, limit)
            if choices is None:
                continue  # the static key field, checked on save
            plain = static.fields.get(name)
            out[name] = ChoiceField(
                choices=[("", EMPTY_CHOICE), *choices],
                required=plain.required if plain is not None else not info.nullable,
                label=_label(name, info),
                help_text=info.column.comment or "",
            )
        relationship = model_admin.many_to_many.get(name)
        if relationship is not None:
            target = relationship.mapper.class_
            choices = None if name in lookups else await choices_of(session, target, limit)
            if choices is None:
                mapper = relationship.mapper
                key_name = mapper.get_property_by_column(mapper.primary_key[0]).key
                key = field_for(columns_of(target)[key_name])
                assert key is not None
                out[name] = KeyListField(
                    key,
                    required=False,
                    label=_label(name),
                    help_text="Keys of the related objects, separated by commas.",
                    widget=LookupInput(lookup_url(request, model_admin, name), multiple=True),
                )
            else:
                out[name] = MultipleChoiceField(
                    choices=choices,
                    required=False,
                    label=_label(name),
                    widget=SelectMultiple(
                        {"class": "filterable", "size": min(10, len(choices) or 1)}
                    ),
                )
    return out


async def foreign_keys_exist(session: AsyncSession, model_admin: ModelAdmin, form: Form) -> bool:
    """Whether every foreign key the form sets names an existing row (errors on the form if not)."""
    for name in form.fields:
        info = model_admin.columns.get(name)
        value = form.cleaned_data.get(name)
        if info is not None and info.related is not None and value is not None:
            if await session.get(info.related, value) is None:
                form.add_error(name, "Select an existing object; this one does not exist.")
                return False
    return True


async def build_form_class(
    model_admin: ModelAdmin, request: Request, names: Sequence[str]
) -> type[ModelForm]:
    """The form class editing ``names`` of the model admin's model.

    The fields whose choices are table rows (foreign keys, many-to-many) are
    built per request; the rest of the class once per model admin and field list.
    """
    key = tuple(names)
    static = model_admin.form_classes.get(key)
    if static is None:
        static = _static_fields(model_admin, request, names)
        model_admin.form_classes[key] = static
    related = await _related_fields(model_admin, request, names, static)
    if not related:
        return static
    form_class: type[ModelForm] = type(static.__name__, (static,), related)
    order = [name for name in names if name in form_class.fields]
    order += [name for name in form_class.fields if name not in order]
    form_class.fields = {name: form_class.fields[name] for name in order}
    return form_class
