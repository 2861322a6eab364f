"""The admin's pages: index, change list, add / change form, delete, history.

Every page first asks for a logged-in, active staff user (anonymous
visitors go to the login page, other users get 403), then for the model
permission the page needs. Forms post back to the page with the CSRF token
of the app's security stack.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from fastcore.admin.changelist import ChangeList
from fastcore.admin.choices import labels_of
from fastcore.admin.forms import LookupInput, build_form_class, foreign_keys_exist
from fastcore.admin.inlines import InlineFormSet
from fastcore.admin.introspect import (
    decode_pk,
    encode_pk,
    loaded_pk,
    object_repr,
    pk_of,
    plan_deletion,
)
from fastcore.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from fastcore.admin.options import label_of
from fastcore.admin.related import load_related, related_keys, related_objects, set_related
from fastcore.auth.config import get_auth
from fastcore.auth.redirects import login_redirect_url
from fastcore.exceptions import BadRequest, Forbidden, HTTPException, NotFound
from fastcore.forms.validators import ValidationError
from fastcore.responses import HTMLResponse, RedirectResponse, Response
from fastcore.staticfiles.http import etag_matches, make_etag
from fastcore.templating import Markup
from fastcore.templating.extension import Templates

if TYPE_CHECKING:
    from fastcore.admin.options import ModelAdmin
    from fastcore.admin.site import Admin
    from fastcore.forms.models import ModelForm
    from fastcore.requests import Request

__all__ = ["AdminViews", "confirm_bulk_delete", "log_deletion"]

_MESSAGES = "admin_messages"
_MAX_SELECTED = 1000
#: A stand-in object id, replaced by each row's own in the change URL.
_KEY = "__key__"


def _site(request: Request) -> Admin:
    from fastcore.admin.site import Admin

    for extension in request.app.extensions.values():
        if isinstance(extension, Admin):
            return extension
    raise NotFound()  # unreachable: the routes exist only with an Admin installed


def require_staff(request: Request) -> None:
    """Let in active staff users; send anyone else to log in (403 once logged in).

    The admin is a browser site, so an anonymous request is always
    redirected to the login page, whatever its ``Accept`` header says.
    """
    user = request.user
    if not user.is_authenticated or not user.is_active:
        target = request.raw_path + (f"?{request.query_string}" if request.query_string else "")
        location = login_redirect_url(get_auth(request).login_url, target)
        raise HTTPException(303, "Please log in to use the admin.", {"location": location})
    if not user.is_staff:
        raise Forbidden("The admin is for staff members only.")


def flash(request: Request, message: str) -> None:
    """Queue a message for the next admin page."""
    session = request.session
    session[_MESSAGES] = [*session.get(_MESSAGES, []), message]


def _take_messages(request: Request) -> list[str]:
    try:
        session = request.session
    except Exception:  # no session middleware: no messages
        return []
    messages: list[str] = session.pop(_MESSAGES, []) if _MESSAGES in session else []
    return messages


def render(request: Request, names: list[str], status: int = 200, **context: Any) -> HTMLResponse:
    """Render the first existing template of ``names`` with the admin's context."""
    site = _site(request)
    environment = Templates.of(request.app).environment
    context.setdefault("title", site.title)
    body = environment.select_template(names).render(
        {
            "site": site,
            "site_title": site.title,
            "user": request.user,
            "messages": _take_messages(request),
            "logout_url": site.logout_url(request),
            "index_url": request.app.url_for("admin.index"),
            "css_url": request.app.url_for("admin.static", filename="admin.css"),
            "js_url": request.app.url_for("admin.static", filename="admin.js"),
            **context,
        }
    )
    return HTMLResponse(body, status_code=status)


def _templates(model_admin: ModelAdmin | None, name: str) -> list[str]:
    if model_admin is None:
        return [f"admin/{name}"]
    return [
        f"admin/{model_admin.app_label}/{model_admin.model_name}/{name}",
        f"admin/{model_admin.app_label}/{name}",
        f"admin/{name}",
    ]


def format_value(value: Any) -> Any:
    """A value as a cell shows it (booleans as yes/no, None as a dash)."""
    if value is None:
        return Markup('<span class="empty">-</span>')
    if value is True:
        return Markup('<span class="yes">Yes</span>')
    if value is False:
        return Markup('<span class="no">No</span>')
    if isinstance(value, enum.Enum):
        return value.name.replace("_", " ").capitalize()
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return value


def _log_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime.date | datetime.time | uuid.UUID | decimal.Decimal):
        return str(value)
    return json.loads(json.dumps(value, default=str))


async def _log(
    model_admin: ModelAdmin, request: Request, obj: Any, action: str, changes: Any = None
) -> None:
    user = request.user
    request.db.add(
        LogEntry(
            user_id=user.id,
            username=user.username,
            model=f"{model_admin.app_label}.{model_admin.model_name}",
            object_id=encode_pk(pk_of(obj))[:500],
            object_repr=object_repr(obj)[:200],
            action=action,
            changes=json.dumps(changes) if changes else "",
        )
    )


async def log_deletion(model_admin: ModelAdmin, request: Request, obj: Any) -> None:
    """Record that ``obj`` is being deleted (call before deleting it)."""
    await _log(model_admin, request, obj, DELETION)


async def confirm_bulk_delete(
    model_admin: ModelAdmin, request: Request, objects: list[Any]
) -> Response:
    """The page asking to confirm the deletion of the selected objects."""
    plans = []
    protected = []
    for obj in objects:
        plan = await plan_deletion(request.db, obj)
        plans.append((object_repr(obj), plan))
        protected += plan.protected
    return render(
        request,
        _templates(model_admin, "delete_selected_confirmation.html"),
        title=f"Delete {len(objects)} {model_admin.verbose_name_plural.lower()}?",
        model_admin=model_admin,
        plans=plans,
        protected=protected,
        selected=[encode_pk(pk_of(obj)) for obj in objects],
        changelist_url=_url(request, "changelist", model_admin),
    )


async def _related_label(
    request: Request, model_admin: ModelAdmin, form: ModelForm, name: str
) -> str:
    """What the key in a lookup field names (the widget shows the key itself)."""
    field = form.fields[name]
    if not isinstance(field.widget, LookupInput):
        return ""
    info = model_admin.columns.get(name)
    relationship = model_admin.many_to_many.get(name)
    bound = form[name]
    raw = bound.data if form.is_bound else bound.initial_value()
    if raw is None or raw == "" or raw == []:
        return ""
    if relationship is not None:
        # The picked objects' labels, in the order of their keys.
        try:
            keys = raw if isinstance(raw, list) else field.to_python(str(raw))
        except ValidationError:
            return ""
        labels = await labels_of(request.db, relationship.mapper.class_, keys)
        return ", ".join(labels[key] for key in dict.fromkeys(keys) if key in labels)
    if info is None or info.related is None:
        return ""
    try:
        value = field.to_python(str(raw))
    except ValidationError:
        return ""
    obj = await request.db.get(info.related, value)
    return object_repr(obj) if obj is not None else ""


async def _checked_relations(
    request: Request, model_admin: ModelAdmin, form: ModelForm, formsets: list[InlineFormSet]
) -> dict[str, list[Any]] | None:
    """The objects of the many-to-many fields, once every key the forms name exists
    (None, with errors on the forms, otherwise)."""
    if not await foreign_keys_exist(request.db, model_admin, form):
        return None
    for formset in formsets:
        for row in formset.rows_to_write():
            if not await foreign_keys_exist(request.db, formset.inline, row.form):
                return None
            picked = await related_objects(request.db, formset.inline, row.form)
            if picked is None:
                return None
            row.related = picked
    return await related_objects(request.db, model_admin, form)


def _required_kept(model_admin: ModelAdmin, form: ModelForm) -> bool:
    """Whether no NOT NULL column of the form was emptied (errors on the form if one was).

    Such a column with a default may be left empty when adding (the default
    fills it), not when changing.
    """
    kept = True
    for name, value in list(form.cleaned_data.items()):
        info = model_admin.columns.get(name)
        if value is None and info is not None and not info.nullable and name in form.fields:
            form.add_error(name, "This field is required.")
            kept = False
    return kept


def _url(request: Request, name: str, model_admin: ModelAdmin, object_id: str | None = None) -> str:
    params = {"app_label": model_admin.app_label, "model_name": model_admin.model_name}
    if object_id is not None:
        params["object_id"] = object_id
    return request.app.url_for(f"admin.{name}", **params)


class AdminViews:
    """The admin's request handlers, bound to one :class:`~fastcore.admin.site.Admin`."""

    def __init__(self, site: Admin) -> None:
        self.site = site

    # -- lookups -------------------------------------------------------------

    async def viewable_model_admin(
        self, request: Request, app_label: str, model_name: str
    ) -> ModelAdmin:
        """The ModelAdmin of a page a staff user may view (403 otherwise, 404 for no model)."""
        require_staff(request)
        model_admin = self.model_admin(app_label, model_name)
        if not await model_admin.has_view_permission(request):
            raise Forbidden(f"You may not view {model_admin.verbose_name_plural.lower()}.")
        return model_admin

    def model_admin(self, app_label: str, model_name: str) -> ModelAdmin:
        """The registered model admin, or 404."""
        found = self.site.registry_by_url.get((app_label, model_name))
        if found is None:
            raise NotFound(f"No model {app_label}.{model_name} in the admin.")
        return found

    async def get_object(self, request: Request, model_admin: ModelAdmin, object_id: str) -> Any:
        """The object named by the URL, among the rows ``get_queryset`` allows, or 404."""
        from fastcore.admin.options import ModelAdmin

        values = decode_pk(model_admin.model, object_id)
        if type(model_admin).get_queryset is ModelAdmin.get_queryset and len(values) == 1:
            # Every row is allowed: a get by key (the ORM's fast path on PostgreSQL).
            obj = await request.db.get(model_admin.model, values[0])
        else:
            mapper = sa.inspect(model_admin.model)
            statement = model_admin.get_queryset(request).where(
                *[column == value for column, value in zip(mapper.primary_key, values, strict=True)]
            )
            obj = await request.db.scalar(statement)
        if obj is None:
            raise NotFound(f"{model_admin.verbose_name} {object_id!r} does not exist.")
        return obj

    # -- pages ---------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        """The models the user may see, and their recent actions."""
        require_staff(request)
        models = []
        for model_admin in self.site.registry.values():
            if await model_admin.has_view_permission(request):
                models.append(
                    {
                        "name": model_admin.verbose_name_plural,
                        "url": _url(request, "changelist", model_admin),
                        "add_url": _url(request, "add", model_admin)
                        if await model_admin.has_add_permission(request)
                        else None,
                    }
                )
        recent = list(
            await request.db.scalars(
                sa.select(LogEntry)
                .where(LogEntry.user_id == request.user.id)
                .order_by(LogEntry.id.desc())
                .limit(10)
            )
        )
        return render(request, ["admin/index.html"], models=models, recent=recent)

    async def changelist(self, request: Request, app_label: str, model_name: str) -> Response:
        """The list of objects (GET) or a bulk action on the selected ones (POST)."""
        model_admin = await self.viewable_model_admin(request, app_label, model_name)
        if request.method == "POST":
            return await self._run_action(request, model_admin)
        changelist = await ChangeList.from_request(model_admin, request)
        display = model_admin.get_list_display()
        links = model_admin.get_list_display_links()
        headers = [
            {
                "label": label_of(item, model_admin),
                "sort_url": changelist.sort_url(item) if item in changelist.sortable else None,
                "sort_state": changelist.sort_state(item) if isinstance(item, str) else "",
            }
            for item in display
        ]
        # The change URL is built once and completed per row (the key is its last
        # segment, and encode_pk leaves nothing in it to quote).
        before_key, after_key = _url(request, "change", model_admin, _KEY).rsplit(_KEY, 1)
        linked = [item in links for item in display]
        rows = []
        for obj in changelist.rows:
            object_id = encode_pk(loaded_pk(obj))
            url = before_key + object_id + after_key
            cells = [
                (format_value(changelist.value(obj, item)), url if link else None)
                for item, link in zip(display, linked, strict=True)
            ]
            rows.append({"id": object_id, "cells": cells})
        actions = await model_admin.get_actions(request)
        return render(
            request,
            _templates(model_admin, "change_list.html"),
            title=model_admin.verbose_name_plural,
            model_admin=model_admin,
            cl=changelist,
            headers=headers,
            rows=rows,
            actions=[(name, description) for name, (_, description) in actions.items()],
            add_url=_url(request, "add", model_admin)
            if await model_admin.has_add_permission(request)
            else None,
        )

    async def _run_action(self, request: Request, model_admin: ModelAdmin) -> Response:
        form = await request.form()
        actions = await model_admin.get_actions(request)
        name = form.get("action", "")
        if not isinstance(name, str) or name not in actions:
            if name in model_admin.action_names():
                raise Forbidden(f"You may not run the action {name!r}.")
            raise BadRequest(f"unknown action {name!r}")
        selected = [value for value in form.getlist("_selected") if isinstance(value, str)]
        if len(selected) > _MAX_SELECTED:
            raise BadRequest(f"select at most {_MAX_SELECTED} objects at once")
        objects = [await self.get_object(request, model_admin, object_id) for object_id in selected]
        changelist_url = _url(request, "changelist", model_admin)
        if not objects:
            flash(request, "Select some objects to act on first.")
            return RedirectResponse(changelist_url, status_code=303)
        function, description = actions[name]
        response = await function(model_admin, request, objects)
        if response is not None:
            return response
        flash(request, f"{description}: done for {len(objects)} object(s).")
        return RedirectResponse(changelist_url, status_code=303)

    async def add(self, request: Request, app_label: str, model_name: str) -> Response:
        """The form adding an object."""
        require_staff(request)
        model_admin = self.model_admin(app_label, model_name)
        if not await model_admin.has_add_permission(request):
            raise Forbidden(f"You may not add {model_admin.verbose_name_plural.lower()}.")
        return await self._form_page(request, model_admin, None)

    async def change(
        self, request: Request, app_label: str, model_name: str, object_id: str
    ) -> Response:
        """The form changing an object (read-only for users who may only view)."""
        model_admin = await self.viewable_model_admin(request, app_label, model_name)
        obj = await self.get_object(request, model_admin, object_id)
        if request.method == "POST" and not await model_admin.has_change_permission(request, obj):
            raise Forbidden(f"You may not change {model_admin.verbose_name_plural.lower()}.")
        return await self._form_page(request, model_admin, obj)

    async def _form_page(self, request: Request, model_admin: ModelAdmin, obj: Any) -> Response:
        adding = obj is None
        can_change = adding or await model_admin.has_change_permission(request, obj)
        names = model_admin.get_fields(adding) if can_change else []
        form_class = await build_form_class(model_admin, request, names)
        extra = model_admin.extra_form_fields()
        if extra:
            form_class = type(form_class.__name__, (form_class,), dict(extra))
        data = await request.form() if request.method == "POST" else None
        # The instance's values are the initial ones; extra fields (a new
        # password) have no attribute on it, so they start empty.
        initial = {
            name: getattr(obj, name)
            for name in form_class.fields
            if obj is not None and name in model_admin.columns
        }
        if obj is not None:
            initial.update(await related_keys(request.db, model_admin, obj, form_class.fields))
        form: ModelForm = form_class(data, initial=initial)
        formsets = []
        for inline in model_admin.inline_instances:
            formset = await InlineFormSet.build(inline, request, obj, data if can_change else None)
            if formset is not None:
                formsets.append(formset)
        if data is not None and form.is_valid() and all(formset.is_valid() for formset in formsets):
            response = await self._save(request, model_admin, form, obj, data, formsets)
            if response is not None:
                return response
        readonly = [name for name in model_admin.get_readonly_fields(adding)]
        if not can_change:
            readonly = [key for _, names_ in model_admin.get_fieldsets(adding) for key in names_]
        if obj is not None:
            await load_related(
                request.db, obj, [n for n in readonly if n in model_admin.many_to_many]
            )
        fieldsets: list[tuple[str | None, list[dict[str, Any]]]] = []
        for title, group in model_admin.get_fieldsets(adding):
            entries: list[dict[str, Any]] = []
            for name in group:
                if name in form.fields:
                    entries.append(
                        {
                            "field": form[name],
                            "related_label": await _related_label(request, model_admin, form, name),
                        }
                    )
                elif name in readonly and obj is not None:
                    entries.append(
                        {
                            "label": label_of(name, model_admin),
                            "value": format_value(model_admin.display_value(obj, name)),
                        }
                    )
            fieldsets.append((title, entries))
        extra_entries = [{"field": form[name]} for name in extra if name in form.fields]
        if extra_entries:
            fieldsets.append((None, extra_entries))
        object_id = encode_pk(pk_of(obj)) if obj is not None else None
        status = 422 if data is not None else 200
        return render(
            request,
            _templates(model_admin, "change_form.html"),
            status=status,
            title=(f"Add {model_admin.verbose_name.lower()}" if adding else object_repr(obj)),
            model_admin=model_admin,
            form=form,
            fieldsets=fieldsets,
            formsets=formsets,
            adding=adding,
            can_change=can_change,
            changelist_url=_url(request, "changelist", model_admin),
            delete_url=_url(request, "delete", model_admin, object_id)
            if object_id is not None and await model_admin.has_delete_permission(request, obj)
            else None,
            history_url=_url(request, "history", model_admin, object_id)
            if object_id is not None
            else None,
            view_on_site=model_admin.view_on_site(obj) if obj is not None else None,
        )

    async def _save(
        self,
        request: Request,
        model_admin: ModelAdmin,
        form: ModelForm,
        obj: Any,
        data: Any,
        formsets: list[InlineFormSet],
    ) -> Response | None:
        """Write a valid form; None when the database refused it (the form shows why)."""
        adding = obj is None
        columns = model_admin.columns
        if adding:
            obj = model_admin.model()
        if not adding and not _required_kept(model_admin, form):
            return None
        # Checked before anything is set on the object (a query would flush it).
        related = await _checked_relations(request, model_admin, form, formsets)
        if related is None:
            return None
        before = {name: getattr(obj, name, None) for name in form.fields if name in columns}
        if not adding:
            before.update(await related_keys(request.db, model_admin, obj, related))
        inline_changes: dict[str, list[str]] = {}
        try:
            # NOTE: the values are set inside the savepoint: starting one flushes the session.
            async with request.db.begin_nested():
                for name, value in form.cleaned_data.items():
                    # SECURITY: only the form's own column fields are written; an empty
                    # value of a NOT NULL column with a default leaves the default (adding).
                    if name in columns and name in form.fields and not form.fields[name].disabled:
                        if value is not None or columns[name].nullable or not adding:
                            setattr(obj, name, value)
                await set_related(request.db, obj, related)
                await model_admin.save_model(request, obj, form, adding)
                for formset in formsets:
                    done = await formset.save(request, obj)
                    if done:
                        inline_changes[formset.inline.verbose_name_plural] = done
        except ValidationError as exc:  # from save_model: shown on the form
            form.add_error(None, exc)
            return None
        except IntegrityError as exc:
            form.add_error(
                None, f"The database refused the change: {str(exc.orig).splitlines()[0]}"
            )
            if not adding:
                await request.db.refresh(obj)  # the savepoint's rollback expired it
            return None
        after = {name: getattr(obj, name, None) for name in before if name in columns}
        after.update(
            {name: sorted(pk_of(item)[0] for item in items) for name, items in related.items()}
        )
        changes = {
            name: [_log_value(old), _log_value(after[name])]
            for name, old in before.items()
            if not adding and name in after and old != after[name]
        }
        changes.update({name: [None, "; ".join(done)] for name, done in inline_changes.items()})
        await _log(model_admin, request, obj, ADDITION if adding else CHANGE, changes)
        object_id = encode_pk(pk_of(obj))
        verb = "added" if adding else "changed"
        flash(request, f'The {model_admin.verbose_name.lower()} "{object_repr(obj)}" was {verb}.')
        if "_continue" in data:
            target = _url(request, "change", model_admin, object_id)
        elif "_addanother" in data:
            target = _url(request, "add", model_admin)
        else:
            target = _url(request, "changelist", model_admin)
        return RedirectResponse(target, status_code=303)

    async def delete(
        self, request: Request, app_label: str, model_name: str, object_id: str
    ) -> Response:
        """The confirmation page listing what goes with the object (GET), then the deletion."""
        require_staff(request)
        model_admin = self.model_admin(app_label, model_name)
        obj = await self.get_object(request, model_admin, object_id)
        if not await model_admin.has_delete_permission(request, obj):
            raise Forbidden(f"You may not delete {model_admin.verbose_name_plural.lower()}.")
        plan = await plan_deletion(request.db, obj)
        if request.method == "POST" and not plan.protected:
            name = object_repr(obj)
            await log_deletion(model_admin, request, obj)
            try:
                async with request.db.begin_nested():
                    await model_admin.delete_model(request, obj)
            except IntegrityError:
                flash(request, f'"{name}" is still referred to and was not deleted.')
                return RedirectResponse(_url(request, "change", model_admin, object_id), 303)
            flash(request, f'The {model_admin.verbose_name.lower()} "{name}" was deleted.')
            return RedirectResponse(_url(request, "changelist", model_admin), status_code=303)
        return render(
            request,
            _templates(model_admin, "delete_confirmation.html"),
            status=409 if request.method == "POST" else 200,
            title=f"Delete {object_repr(obj)}?",
            model_admin=model_admin,
            object_name=object_repr(obj),
            plan=plan,
            changelist_url=_url(request, "changelist", model_admin),
            change_url=_url(request, "change", model_admin, object_id),
        )

    async def history(
        self, request: Request, app_label: str, model_name: str, object_id: str
    ) -> Response:
        """Who changed the object, what and when (the object may be gone)."""
        model_admin = await self.viewable_model_admin(request, app_label, model_name)
        decode_pk(model_admin.model, object_id)  # 404 for what cannot be a key
        entries = list(
            await request.db.scalars(
                sa.select(LogEntry)
                .where(
                    LogEntry.model == f"{model_admin.app_label}.{model_admin.model_name}",
                    LogEntry.object_id == object_id,
                )
                .order_by(LogEntry.id)
                .limit(500)
            )
        )
        if not entries:
            await self.get_object(request, model_admin, object_id)  # 404 if it never was
        history = [
            {
                "entry": entry,
                "changes": [
                    (label_of(name, model_admin), old, new)
                    for name, (old, new) in (
                        json.loads(entry.changes) if entry.changes else {}
                    ).items()
                ],
            }
            for entry in entries
        ]
        return render(
            request,
            _templates(model_admin, "object_history.html"),
            title=f"History: {entries[-1].object_repr if entries else object_id}",
            model_admin=model_admin,
            history=history,
            changelist_url=_url(request, "changelist", model_admin),
            change_url=_url(request, "change", model_admin, object_id),
        )

    async def lookup(self, request: Request, app_label: str, model_name: str) -> Response:
        """The JSON search behind a foreign key's search-as-you-type (see admin.lookup)."""
        from fastcore.admin.lookup import lookup

        require_staff(request)
        return await lookup(self.site, request, self.model_admin(app_label, model_name))

    async def static(self, request: Request, filename: str) -> Response:
        """The admin's stylesheet and script (served from the package; CSP ``'self'``).

        With an ``ETag`` of their content: after ``max-age`` a browser
        revalidates and gets a ``304``.
        """
        found = self.site.static_files().get(filename)
        if found is None:
            raise NotFound()
        body, media_type = found
        etag = make_etag(body)
        headers = {"cache-control": "public, max-age=3600", "etag": etag}
        wanted = request.headers.get("if-none-match")
        if wanted is not None and etag_matches(wanted, etag):
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers=headers)
