"""Inlines: the child rows of a one-to-many relationship, edited on the parent's form.

::

    class BookInline(TabularInline):
        model = Book
        fields = ["title", "genre"]
        extra = 2

    class AuthorAdmin(ModelAdmin):
        inlines = [BookInline]

Each child row is a prefixed form (``book-0-title``); the page carries how
many rows it sent (``book-TOTAL_FORMS``) and which were there before
(``book-0-id``). The child model's own view / add / change / delete
permissions decide which rows are shown, editable, added and deleted; what
a user may not do is never offered and, if posted, ignored. The parent and
all its rows are validated first and written in one transaction.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from fastcore.admin.forms import build_form_class
from fastcore.admin.introspect import encode_pk, object_repr, pk_of
from fastcore.admin.options import ModelAdmin, label_of
from fastcore.admin.related import related_keys, set_related
from fastcore.exceptions import BadRequest, ImproperlyConfigured
from fastcore.forms.fields import BooleanField, ChoiceField
from fastcore.forms.forms import Form
from fastcore.forms.widgets import choice_key

if TYPE_CHECKING:
    from fastcore.forms.models import ModelForm
    from fastcore.requests import Request

__all__ = ["InlineFormSet", "InlineModelAdmin", "StackedInline", "TabularInline"]

TOTAL = "TOTAL_FORMS"
INITIAL = "INITIAL_FORMS"


class InlineModelAdmin(ModelAdmin):
    """Options of the child rows shown on a parent model's change form.

    Attributes:
        model: The child model; it has a foreign key to the parent.
        fk_name: The child's foreign key column to the parent (found when
            there is only one).
        extra: Blank rows offered for new children.
        max_num: The most rows the page holds (posted counts above it are refused).
        can_delete: Whether rows get a "delete" box.
        template: The template that renders the rows.
    """

    model: type[Any]  # set on the subclass
    fk_name: ClassVar[str | None] = None
    extra: ClassVar[int] = 3
    max_num: ClassVar[int] = 100
    can_delete: ClassVar[bool] = True
    template: ClassVar[str] = "admin/edit_inline/tabular.html"

    def __init__(self, parent_model: type[Any]) -> None:
        super().__init__(self.model)
        self.parent_model = parent_model
        #: The child's column holding the parent's key.
        self.fk_column = self._find_fk()
        #: The prefix of the rows' form fields.
        self.prefix = self.model_name

    def _find_fk(self) -> str:
        found = [
            key
            for key, info in self.columns.items()
            if info.related is self.parent_model and (self.fk_name in (None, key))
        ]
        if len(found) != 1:
            what = f"{self.fk_name!r}" if self.fk_name else "exactly one foreign key"
            raise ImproperlyConfigured(
                f"{type(self).__name__}: {self.model.__name__} needs {what} to "
                f"{self.parent_model.__name__} to be inlined; set fk_name"
            )
        if len(sa.inspect(self.parent_model).primary_key) != 1:
            raise ImproperlyConfigured(
                f"{type(self).__name__}: {self.parent_model.__name__} has a composite key; "
                "inlines need a single-column one"
            )
        return found[0]

    def get_fields(self, adding: bool) -> list[str]:
        """The row's editable fields: never the key to the parent (the page sets it)."""
        return [name for name in super().get_fields(True) if name != self.fk_column]

    def get_readonly_fields(self, adding: bool) -> list[str]:
        """Read-only row fields (the key to the parent is implied by the page)."""
        return [name for name in super().get_readonly_fields(adding) if name != self.fk_column]


class TabularInline(InlineModelAdmin):
    """Child rows as a table, one line per row."""

    template: ClassVar[str] = "admin/edit_inline/tabular.html"


class StackedInline(InlineModelAdmin):
    """Child rows stacked, one block of fields per row."""

    template: ClassVar[str] = "admin/edit_inline/stacked.html"


@dataclasses.dataclass
class InlineRow:
    """One child row on the page."""

    form: ModelForm
    obj: Any = None
    object_id: str = ""
    editable: bool = True
    deletable: bool = False
    delete_field: Any = None
    #: The objects each many-to-many field picked, once checked (see admin.related).
    related: dict[str, list[Any]] = dataclasses.field(default_factory=dict)

    @property
    def deleting(self) -> bool:
        """Whether the row's "delete" box was ticked."""
        return self.delete_field is not None and bool(self.delete_field.value)


@dataclasses.dataclass
class InlineFormSet:
    """One inline's rows for one request: loaded, bound, validated and saved."""

    inline: InlineModelAdmin
    rows: list[InlineRow]
    can_add: bool
    can_change: bool
    can_delete: bool
    readonly: list[str]

    @property
    def prefix(self) -> str:
        """The prefix of the rows' fields."""
        return self.inline.prefix

    @property
    def total(self) -> int:
        """How many rows the page holds."""
        return len(self.rows)

    @property
    def initial(self) -> int:
        """How many rows were there before."""
        return sum(1 for row in self.rows if row.obj is not None)

    @property
    def headers(self) -> list[str]:
        """The column headers of a tabular inline."""
        names = self.rows[0].form.fields if self.rows else self.inline.get_fields(True)
        return [label_of(name, self.inline) for name in [*self.readonly, *names]]

    def readonly_values(self, row: InlineRow) -> list[tuple[str, Any]]:
        """A row's read-only fields (all when it is not editable), as (label, value)."""
        from fastcore.admin.views import format_value

        names = self.readonly if row.editable else [*self.readonly, *row.form.fields]
        return [
            (
                label_of(name, self.inline),
                format_value(self.inline.display_value(row.obj, name))
                if row.obj is not None
                else "",
            )
            for name in names
        ]

    def is_valid(self) -> bool:
        """Whether every row that will be written is valid."""
        return all(row.form.is_valid() for row in self.rows_to_write())

    def rows_to_write(self) -> list[InlineRow]:
        """The rows added or changed: editable, not deleted, and for a blank row filled in."""
        return [
            row
            for row in self.rows
            if row.editable and not row.deleting and (row.obj is not None or row.form.is_bound)
        ]

    @classmethod
    async def build(
        cls,
        inline: InlineModelAdmin,
        request: Request,
        parent: Any,
        data: Any,
    ) -> InlineFormSet | None:
        """The rows of ``parent`` (None when the user may not see the child model)."""
        if not await inline.has_view_permission(request):
            return None
        can_add = await inline.has_add_permission(request)
        can_change = await inline.has_change_permission(request)
        can_delete = inline.can_delete and await inline.has_delete_permission(request)
        names = inline.get_fields(True)
        form_class = await build_form_class(inline, request, names)
        readonly = inline.get_readonly_fields(False)
        existing: list[Any] = []
        if parent is not None:
            column = getattr(inline.model, inline.fk_column)
            statement = (
                inline.get_queryset(request)
                .where(column == pk_of(parent)[0])
                .order_by(*sa.inspect(inline.model).primary_key)
                .limit(inline.max_num)
            )
            # The rows' many-to-many collections come along (one query each, not per row).
            for name in names:
                if name in inline.many_to_many:
                    statement = statement.options(selectinload(getattr(inline.model, name)))
            existing = list(await request.db.scalars(statement))
        by_id = {encode_pk(pk_of(obj)): obj for obj in existing}
        prefix = inline.prefix
        rows: list[InlineRow] = []
        if data is None:
            for index, obj in enumerate(existing):
                rows.append(cls._row(inline, form_class, None, index, obj, can_change, can_delete))
            blank = min(inline.extra, inline.max_num - len(existing)) if can_add else 0
            for index in range(len(existing), len(existing) + max(blank, 0)):
                rows.append(cls._row(inline, form_class, None, index, None, True, False))
        else:
            total = _count(data, f"{prefix}-{TOTAL}", inline.max_num)
            seen: set[str] = set()
            for index in range(total):
                object_id = data.get(f"{prefix}-{index}-id") or ""
                if not isinstance(object_id, str):
                    raise BadRequest(f"{prefix}-{index}-id must be text")
                if object_id:
                    obj = by_id.get(object_id)
                    if obj is None or object_id in seen:
                        raise BadRequest(
                            f"{prefix}-{index}-id: {object_id!r} is not a "
                            f"{inline.verbose_name.lower()} of this object"
                        )
                    seen.add(object_id)
                    row = cls._row(inline, form_class, data, index, obj, can_change, can_delete)
                elif can_add:
                    row = cls._row(inline, form_class, data, index, None, True, False)
                else:
                    continue  # a new row the user may not add: not read
                rows.append(row)
        return cls(inline, rows, can_add, can_change, can_delete, readonly)

    @staticmethod
    def _row(
        inline: InlineModelAdmin,
        form_class: type[ModelForm],
        data: Any,
        index: int,
        obj: Any,
        editable: bool,
        deletable: bool,
    ) -> InlineRow:
        prefix = f"{inline.prefix}-{index}"
        initial = {}
        if obj is not None:
            for name in form_class.fields:
                value = getattr(obj, name)
                if name in inline.many_to_many:
                    value = sorted(pk_of(item)[0] for item in value)
                initial[name] = value
        # A row the user may not change is shown as text, and what is posted for it is not read.
        form = form_class(data if editable else None, initial=initial, prefix=prefix)
        if obj is None and form.is_bound and not _changed(form):
            form = form_class(None, prefix=prefix)  # left blank: shown again without errors
        row = InlineRow(form, obj, encode_pk(pk_of(obj)) if obj is not None else "", editable)
        if deletable:
            box = _DeleteForm(data, prefix=prefix)
            row.deletable = True
            row.delete_field = box["DELETE"]
        return row

    async def save(self, request: Request, parent: Any) -> list[str]:
        """Write the rows (inside the caller's transaction); what changed, in words."""
        inline = self.inline
        columns = inline.columns
        done: list[str] = []
        parent_key = pk_of(parent)[0]
        written = self.rows_to_write()
        for row in self.rows:
            if row.deleting and row.obj is not None:
                done.append(f"deleted {object_repr(row.obj)}")
                await inline.delete_model(request, row.obj)
                continue
            if row not in written:
                continue
            obj = row.obj if row.obj is not None else inline.model()
            before = {name: getattr(obj, name, None) for name in row.form.fields if name in columns}
            if row.obj is not None:
                before.update(await related_keys(request.db, inline, obj, row.related))
            for name, value in row.form.cleaned_data.items():
                # SECURITY: only the row's own column fields are written.
                if name in columns and name in row.form.fields:
                    setattr(obj, name, value)
            setattr(obj, inline.fk_column, parent_key)
            await set_related(request.db, obj, row.related)
            after = {name: getattr(obj, name, None) for name in before if name in columns}
            after.update(
                {
                    name: sorted(pk_of(item)[0] for item in items)
                    for name, items in row.related.items()
                }
            )
            if row.obj is None:
                await inline.save_model(request, obj, row.form, True)
                done.append(f"added {object_repr(obj)}")
            elif any(after.get(name) != old for name, old in before.items()):
                await inline.save_model(request, obj, row.form, False)
                done.append(f"changed {object_repr(obj)}")
        return done


class _DeleteForm(Form):
    DELETE = BooleanField(label="Delete")


def _count(data: Any, name: str, most: int) -> int:
    raw = data.get(name)
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 6:
        raise BadRequest(f"{name} is missing or not a count: the form was changed or cut short")
    value = int(raw)
    if value > most:
        raise BadRequest(f"{name} is {value}: at most {most} rows are accepted")
    return value


def _changed(form: ModelForm) -> bool:
    """Whether a blank row was filled in (compared to what it showed)."""
    for bound in form:
        raw, initial = bound.data, bound.initial_value()
        if isinstance(bound.field, BooleanField):
            changed = bool(raw) != bool(initial)
        elif isinstance(raw, list):
            changed = bool(raw)
        elif isinstance(bound.field, ChoiceField):
            changed = (raw or "") != ("" if initial is None else choice_key(initial))
        else:
            shown = bound.field.format_value(initial)
            changed = (raw or "") != ("" if shown is None else str(shown))
        if changed:
            return True
    return False
