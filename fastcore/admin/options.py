"""ModelAdmin: how one model shows in the admin, with the options a Django user expects.

::

    @admin.register(Note)
    class NoteAdmin(ModelAdmin):
        list_display = ["id", "text", "author", "pinned"]
        search_fields = ["text"]
        list_filter = ["pinned", "author"]
        ordering = ["-id"]

Everything left unset is derived from the mapper: every column listed and
editable, primary keys and generated columns read-only.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from fastcore.admin.introspect import ColumnInfo, columns_of, object_repr
from fastcore.auth.permissions import has_perm, model_permissions

if TYPE_CHECKING:
    from fastcore.admin.inlines import InlineModelAdmin
    from fastcore.forms.forms import Form
    from fastcore.forms.models import ModelForm
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["Action", "ModelAdmin", "action"]

#: ``async def action(model_admin, request, objects) -> Response | None``.
Action = Callable[["ModelAdmin", "Request", list[Any]], Awaitable["Response | None"]]

Fieldsets = Sequence[tuple[str | None, Mapping[str, Any]]]


def action(
    *, description: str | None = None, permissions: Sequence[str] = ("change",)
) -> Callable[[Action], Action]:
    """Mark a function as a bulk action of the change list.

    ``permissions`` are the model permissions (``"change"``, ``"delete"``...)
    a user needs to see and run it. The function gets the model admin, the
    request and the selected objects; it returns a response, or None to go
    back to the list.
    """

    def decorate(function: Action) -> Action:
        function.short_description = description or function.__name__.replace("_", " ")  # type: ignore[attr-defined]
        function.allowed_permissions = tuple(permissions)  # type: ignore[attr-defined]
        return function

    return decorate


def label_of(item: str | Callable[..., Any], model_admin: ModelAdmin) -> str:
    """The column header of a ``list_display`` entry."""
    if callable(item):
        text = getattr(item, "short_description", None)
        return str(text) if text else item.__name__.replace("_", " ").capitalize()
    method = getattr(model_admin, item, None)
    if callable(method) and getattr(method, "short_description", None):
        return str(method.short_description)
    info = model_admin.columns.get(item)
    if info is not None and info.column.info.get("label"):
        return str(info.column.info["label"])
    return item.removesuffix("_id").replace("_", " ").capitalize()


class ModelAdmin:
    """The admin options of one model; subclass it and set what differs.

    Attributes:
        list_display: Columns, relationship names, ``ModelAdmin`` method
            names or callables (``obj -> value``) shown in the change list.
        list_display_links: Which of them link to the change form (the first
            by default).
        search_fields: Text columns searched (every word must match one).
        list_filter: Boolean, date, Enum and foreign key columns filtered on.
        ordering: The default order (``"-name"`` descending); the primary key
            descending otherwise.
        list_per_page: Rows per page.
        readonly_fields: Shown on the change form, never written.
        fields: The editable fields, in order (all editable columns by default).
        exclude: Fields left off the form.
        fieldsets: ``[(title, {"fields": [...]}), ...]`` grouping the form.
        form: A ModelForm class whose declared fields and ``clean`` are used.
        actions: Bulk actions besides "delete selected" (see :func:`action`).
        count_estimate_above: On PostgreSQL, a table whose planner estimate
            passes this many rows is counted by the estimate (unfiltered) or
            up to this many rows (filtered), so the list stays fast.
        foreign_key_select_limit: A foreign key whose table has more rows is
            typed as a key instead of picked from a select.
        autocomplete_fields: Foreign keys (``"author"`` or ``"author_id"``)
            picked by search-as-you-type instead of a select, whatever the
            size of the related table.
        inlines: :class:`~fastcore.admin.inlines.TabularInline` /
            ``StackedInline`` classes whose child rows are edited on this
            model's form.
    """

    list_display: ClassVar[Sequence[str | Callable[..., Any]]] = ()
    list_display_links: ClassVar[Sequence[str]] = ()
    search_fields: ClassVar[Sequence[str]] = ()
    list_filter: ClassVar[Sequence[str]] = ()
    ordering: ClassVar[Sequence[str]] = ()
    list_per_page: ClassVar[int] = 50
    readonly_fields: ClassVar[Sequence[str]] = ()
    fields: ClassVar[Sequence[str] | None] = None
    exclude: ClassVar[Sequence[str]] = ()
    fieldsets: ClassVar[Fieldsets | None] = None
    form: ClassVar[type[ModelForm] | None] = None
    actions: ClassVar[Sequence[Action]] = ()
    count_estimate_above: ClassVar[int] = 100_000
    foreign_key_select_limit: ClassVar[int] = 500
    inlines: ClassVar[Sequence[type[InlineModelAdmin]]] = ()
    autocomplete_fields: ClassVar[Sequence[str]] = ()

    def __init__(self, model: type[Any]) -> None:
        self.model = model
        label, codename, _ = model_permissions(model)[0]
        #: The app label (URL segment and permission prefix).
        self.app_label = label
        #: The model's URL segment (``note``).
        self.model_name = codename.removeprefix("add_")
        #: The model's name as the pages show it.
        self.verbose_name = getattr(model, "__verbose_name__", None) or model.__name__
        self.verbose_name_plural = (
            getattr(model, "__verbose_name_plural__", None) or f"{self.verbose_name}s"
        )

    @functools.cached_property
    def columns(self) -> dict[str, ColumnInfo]:
        """The model's columns, from its mapper."""
        return columns_of(self.model)

    @functools.cached_property
    def relationships(self) -> dict[str, Any]:
        """The model's relationships by name."""
        return {rel.key: rel for rel in sa.inspect(self.model).relationships}

    @functools.cached_property
    def many_to_many(self) -> dict[str, Any]:
        """The many-to-many relationships (through a secondary table) to single-key models."""
        return {
            key: rel
            for key, rel in self.relationships.items()
            if rel.secondary is not None and len(rel.mapper.primary_key) == 1 and rel.uselist
        }

    @functools.cached_property
    def lookup_fields(self) -> frozenset[str]:
        """The foreign key columns of ``autocomplete_fields``."""
        by_relationship = {
            info.relationship: key for key, info in self.columns.items() if info.relationship
        }
        return frozenset(by_relationship.get(name, name) for name in self.autocomplete_fields)

    @functools.cached_property
    def form_classes(self) -> dict[tuple[str, ...], type[ModelForm]]:
        """The form classes built so far, by field list (see admin.forms.build_form_class)."""
        return {}

    @functools.cached_property
    def inline_instances(self) -> list[InlineModelAdmin]:
        """The inlines, bound to this model."""
        return [inline(self.model) for inline in self.inlines]

    # -- what is listed ------------------------------------------------------

    def get_list_display(self) -> list[str | Callable[..., Any]]:
        """The change list's columns: ``list_display``, or every column (foreign
        keys as their relationship when there is one)."""
        if self.list_display:
            return list(self.list_display)
        names: list[str | Callable[..., Any]] = [
            info.relationship or info.key for info in self.columns.values()
        ]
        return names[:8]

    def get_list_display_links(self) -> list[str | Callable[..., Any]]:
        """The columns that link to the object."""
        display = self.get_list_display()
        if self.list_display_links:
            return [item for item in display if item in self.list_display_links]
        return list(display[:1])

    def get_queryset(self, request: Request) -> sa.Select[Any]:
        """The rows this admin may show and act on (override to restrict them)."""
        return sa.select(self.model)

    def get_ordering(self) -> list[str]:
        """The default order of the change list."""
        if self.ordering:
            return list(self.ordering)
        return ["-" + info.key for info in self.columns.values() if info.primary_key]

    def display_value(self, obj: Any, item: str | Callable[..., Any]) -> Any:
        """The value of one ``list_display`` entry for ``obj``."""
        if callable(item):
            return item(obj)
        method = getattr(self, item, None)
        if callable(method) and item not in self.columns and item not in self.relationships:
            return method(obj)
        value = getattr(obj, item)
        if item in self.many_to_many:
            return ", ".join(object_repr(member) for member in value)
        if item in self.relationships and value is not None:
            return object_repr(value)
        return value

    # -- the form ------------------------------------------------------------

    def get_fields(self, adding: bool) -> list[str]:
        """The form's editable fields (and, through fieldsets, their order)."""
        if self.fieldsets:
            names = [name for _, options in self.fieldsets for name in options.get("fields", ())]
        elif self.fields is not None:
            names = list(self.fields)
        else:
            names = [
                key
                for key, info in self.columns.items()
                if not info.generated and (adding or not info.primary_key)
            ]
            names += list(self.many_to_many)
        readonly = set(self.get_readonly_fields(adding))
        return [name for name in names if name not in self.exclude and name not in readonly]

    def get_readonly_fields(self, adding: bool) -> list[str]:
        """Fields shown but not editable: ``readonly_fields``, and on the change
        form the primary key and the generated columns."""
        names = list(self.readonly_fields)
        if not adding:
            names += [
                key
                for key, info in self.columns.items()
                if (info.primary_key or info.generated) and key not in names
            ]
        return [name for name in names if name not in self.exclude]

    def get_fieldsets(self, adding: bool) -> list[tuple[str | None, list[str]]]:
        """The form's groups of fields (one untitled group by default)."""
        if self.fieldsets:
            return [(title, list(options.get("fields", ()))) for title, options in self.fieldsets]
        readonly = self.get_readonly_fields(adding)
        editable = self.get_fields(adding)
        names = [key for key in self.columns if key in readonly or key in editable]
        names += [name for name in [*readonly, *editable] if name not in names]
        return [(None, names)]

    def extra_form_fields(self) -> Mapping[str, Any]:
        """Form fields that are no column (a new password, say); see :meth:`save_model`."""
        return {}

    async def save_model(self, request: Request, obj: Any, form: Form, adding: bool) -> None:
        """Write ``obj`` (its form values are set already); the default adds and flushes."""
        request.db.add(obj)
        await request.db.flush()

    async def delete_model(self, request: Request, obj: Any) -> None:
        """Delete ``obj`` (ORM cascades run)."""
        await request.db.delete(obj)
        await request.db.flush()

    def view_on_site(self, obj: Any) -> str | None:
        """The object's public URL (its ``get_absolute_url()``), for a "view on site" link."""
        method = getattr(obj, "get_absolute_url", None)
        return str(method()) if callable(method) else None

    # -- permissions ---------------------------------------------------------

    def permission_name(self, action: str) -> str:
        """The auth permission of an action on this model (``"demo.change_note"``)."""
        return f"{self.app_label}.{action}_{self.model_name}"

    async def has_view_permission(self, request: Request, obj: Any = None) -> bool:
        """Whether the user may see the objects (``view`` or ``change``)."""
        return await has_perm(request, self.permission_name("view")) or await has_perm(
            request, self.permission_name("change")
        )

    async def has_add_permission(self, request: Request) -> bool:
        """Whether the user may add objects."""
        return await has_perm(request, self.permission_name("add"))

    async def has_change_permission(self, request: Request, obj: Any = None) -> bool:
        """Whether the user may change objects."""
        return await has_perm(request, self.permission_name("change"))

    async def has_delete_permission(self, request: Request, obj: Any = None) -> bool:
        """Whether the user may delete objects."""
        return await has_perm(request, self.permission_name("delete"))

    def action_names(self) -> set[str]:
        """The names of every bulk action of this model, allowed or not."""
        from fastcore.admin.actions import delete_selected

        return {function.__name__ for function in [delete_selected, *self.actions]}

    async def get_actions(self, request: Request) -> dict[str, tuple[Action, str]]:
        """The bulk actions the user may run, by name: ``(function, description)``."""
        from fastcore.admin.actions import delete_selected

        found: dict[str, tuple[Action, str]] = {}
        for function in [delete_selected, *self.actions]:
            allowed = True
            for needed in getattr(function, "allowed_permissions", ("change",)):
                if not await has_perm(request, self.permission_name(needed)):
                    allowed = False
            if allowed:
                description = getattr(function, "short_description", function.__name__)
                found[function.__name__] = (function, str(description))
        return found
