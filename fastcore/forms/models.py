"""ModelForm: a form whose fields come from a SQLAlchemy model's columns.

::

    class NoteForm(ModelForm):
        class Meta:
            model = Note
            fields = ["text", "pinned"]      # or "__all__", or exclude = [...]

    form = await NoteForm.from_request(request)
    if form.is_valid():
        note = await form.save(request.db)

Each column becomes the field its type calls for (``String(100)`` a
``CharField(max_length=100)``, ``Numeric(8, 2)`` a ``DecimalField``, an
``Enum`` a ``ChoiceField``...); a non-nullable column without a default is
required. Fields declared on the class replace the generated ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import ColumnProperty

from fastcore.exceptions import ImproperlyConfigured
from fastcore.forms.fields import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    FloatField,
    IntegerField,
)
from fastcore.forms.forms import Form
from fastcore.forms.widgets import Textarea

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["ModelForm", "field_for_column", "fields_for_model"]


def _concrete_type(column_type: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    # A TypeDecorator (UTCDateTime) behaves as the type it wraps.
    if isinstance(column_type, sa.types.TypeDecorator):
        return _concrete_type(column_type.impl_instance)
    return column_type


def field_for_column(column: sa.Column[Any]) -> Field[Any] | None:
    """The form field for one column, or None when no field type fits it."""
    has_default = column.default is not None or column.server_default is not None
    options: dict[str, Any] = {
        "required": not column.nullable and not has_default,
        "label": column.info.get("label"),
        "help_text": column.comment or "",
    }
    default = column.default
    if isinstance(default, sa.ColumnDefault) and default.is_scalar:
        options["initial"] = default.arg
    kind = _concrete_type(column.type)
    if isinstance(kind, sa.Boolean):
        options.pop("required")
        return BooleanField(**options)
    if isinstance(kind, sa.Enum):
        choices: Any = kind.enum_class if kind.enum_class is not None else list(kind.enums)
        return ChoiceField(choices=choices, **options)
    if isinstance(kind, sa.Integer):
        # The column's range: a larger number would fail in the database (a 500), not here.
        bits = (
            16
            if isinstance(kind, sa.SmallInteger)
            else 64
            if isinstance(kind, sa.BigInteger)
            else 32
        )
        options.setdefault("min_value", -(2 ** (bits - 1)))
        options.setdefault("max_value", 2 ** (bits - 1) - 1)
        return IntegerField(**options)
    if isinstance(kind, sa.Float):
        return FloatField(**options)
    if isinstance(kind, sa.Numeric):
        return DecimalField(max_digits=kind.precision, decimal_places=kind.scale, **options)
    if isinstance(kind, sa.DateTime):
        return DateTimeField(**options)
    if isinstance(kind, sa.Date):
        return DateField(**options)
    if isinstance(kind, sa.Text):
        return CharField(widget=Textarea(), **options)
    if isinstance(kind, sa.String):
        return CharField(max_length=kind.length, **options)
    return None


def _generated_by_database(column: sa.Column[Any]) -> bool:
    """Primary keys and columns filled in for you (timestamps, generated ids)."""
    default = column.default
    callable_default = isinstance(default, sa.ColumnDefault) and default.is_callable
    return bool(
        column.primary_key
        or callable_default
        or column.server_default is not None
        or column.onupdate is not None
    )


def fields_for_model(
    model: type[Any],
    fields: Sequence[str] | str = "__all__",
    exclude: Sequence[str] = (),
) -> dict[str, Field[Any]]:
    """Build form fields for a mapped class's columns.

    Args:
        model: The SQLAlchemy mapped class.
        fields: Column attribute names to include, in order, or ``"__all__"``
            (every column but primary keys and database-generated ones).
        exclude: Names to leave out.
    """
    mapper = sa.inspect(model)
    columns: dict[str, sa.Column[Any]] = {}
    for prop in mapper.column_attrs:
        if isinstance(prop, ColumnProperty) and len(prop.columns) == 1:
            column = prop.columns[0]
            if isinstance(column, sa.Column):
                columns[prop.key] = column
    if fields == "__all__":
        names = [name for name, column in columns.items() if not _generated_by_database(column)]
    elif isinstance(fields, str):
        raise ImproperlyConfigured('Meta.fields is a list of names or "__all__"')
    else:
        unknown = [name for name in fields if name not in columns]
        if unknown:
            raise ImproperlyConfigured(
                f"{model.__name__} has no column(s) {', '.join(unknown)} (Meta.fields)"
            )
        names = list(fields)
    out: dict[str, Field[Any]] = {}
    for name in names:
        if name in exclude:
            continue
        field = field_for_column(columns[name])
        if field is None:
            raise ImproperlyConfigured(
                f"{model.__name__}.{name} ({columns[name].type}) has no matching form field; "
                "declare the field on the form or exclude the column"
            )
        out[name] = field
    return out


class ModelForm(Form):
    """A form built from a model (``class Meta: model, fields, exclude``).

    Args:
        data: The submitted data, as for :class:`Form`.
        instance: The object to edit (its values are the initial ones);
            :meth:`save` creates a new one when omitted.
        initial: Initial values overriding the instance's.
    """

    #: The mapped class, from ``Meta.model``.
    model: ClassVar[type[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        meta = getattr(cls, "Meta", None)
        model = getattr(meta, "model", None)
        if model is not None:
            exclude = list(getattr(meta, "exclude", ()))
            fields = getattr(meta, "fields", "__all__")
            for name, field in fields_for_model(model, fields, exclude).items():
                if name not in cls.__dict__:  # declared fields win
                    field.__set_name__(cls, name)
                    setattr(cls, name, field)
            cls.model = model
        super().__init_subclass__(**kwargs)
        order = getattr(meta, "fields", "__all__")
        if model is not None and not isinstance(order, str):
            # Meta.fields says the order; fields declared on the class only come last.
            names = [name for name in order if name in cls.fields]
            names += [name for name in cls.fields if name not in names]
            cls.fields = {name: cls.fields[name] for name in names}

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        instance: Any = None,
        initial: Mapping[str, Any] | None = None,
        prefix: str = "",
    ) -> None:
        if self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs Meta.model")
        self.instance = instance
        values: dict[str, Any] = {}
        if instance is not None:
            values = {name: getattr(instance, name) for name in self.fields}
        super().__init__(data, initial={**values, **(initial or {})}, prefix=prefix)

    def apply(self, instance: Any) -> Any:
        """Copy the cleaned values onto ``instance`` (the form must be valid)."""
        if not self.is_valid():
            raise ValueError(f"{type(self).__name__}.apply() needs valid data; check is_valid()")
        for name, value in self.cleaned_data.items():
            if name in self.fields and not self.fields[name].disabled:
                setattr(instance, name, value)
        return instance

    async def save(self, session: AsyncSession) -> Any:
        """Create or update the object, add it to ``session`` and flush (ids are set)."""
        assert self.model is not None  # checked in __init__
        instance = self.apply(self.instance if self.instance is not None else self.model())
        session.add(instance)
        await session.flush()
        self.instance = instance
        return instance
