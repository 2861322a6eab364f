"""Admin: the extension that serves the admin site for the registered models.

::

    admin = Admin(title="Notes admin")
    admin.register(Note, NoteAdmin)          # or @admin.register(Note) on the class
    app.install(admin)                       # after Database and Auth; pages at /admin

The pages need the app's database (``request.db``), fastcore.auth (users,
permissions, the login page) and the security stack (sessions and CSRF);
startup checks name what is missing.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar, overload

from fastcore.admin.options import ModelAdmin
from fastcore.admin.search import resolve_search_field
from fastcore.checks import CheckMessage
from fastcore.exceptions import ImproperlyConfigured
from fastcore.extensions import Extension

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.requests import Request

__all__ = ["Admin"]

MA = TypeVar("MA", bound=type[ModelAdmin])

_STATIC = {"admin.css": "text/css; charset=utf-8", "admin.js": "text/javascript; charset=utf-8"}


class Admin(Extension):
    """The admin site: register models, then ``app.install(admin)``.

    Args:
        title: The site's title, shown on every page.
        prefix: Where the pages are mounted.
        register_auth: Register fastcore.auth's users and groups (the
            password is set through the hasher and never shown).
    """

    name = "admin"

    def __init__(
        self, title: str = "Administration", *, prefix: str = "/admin", register_auth: bool = True
    ) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ImproperlyConfigured(
                f"admin prefix {prefix!r} must start with '/' and not end with '/'"
            )
        self.title = title
        self.prefix = prefix
        self.register_auth = register_auth
        #: The model admins by model, in registration order.
        self.registry: dict[type[Any], ModelAdmin] = {}
        #: The same, by the URL's ``(app_label, model_name)``.
        self.registry_by_url: dict[tuple[str, str], ModelAdmin] = {}

    @overload
    def register(self, model: type[Any], admin_class: None = None) -> Callable[[MA], MA]: ...
    @overload
    def register(self, model: type[Any], admin_class: MA) -> MA: ...

    def register(self, model: type[Any], admin_class: Any = None) -> Any:
        """Add ``model`` to the admin, with ``admin_class`` (a ModelAdmin subclass) or the defaults.

        Without a class it registers the defaults at once and returns a
        decorator, so ``@admin.register(Note)`` on a ModelAdmin subclass works too.

        Raises:
            ImproperlyConfigured: ``admin_class`` is no ModelAdmin, or
                ``model`` is not a mapped class.
        """
        if admin_class is None:
            self._register(model, ModelAdmin)

            def decorate(cls: MA) -> MA:
                self._register(model, cls)
                return cls

            return decorate
        self._register(model, admin_class)
        return admin_class

    def _register(self, model: type[Any], admin_class: type[ModelAdmin]) -> None:
        if not (isinstance(admin_class, type) and issubclass(admin_class, ModelAdmin)):
            raise ImproperlyConfigured(f"{admin_class!r} is not a ModelAdmin subclass")
        if getattr(model, "__mapper__", None) is None:
            raise ImproperlyConfigured(f"{model!r} is not a mapped SQLAlchemy model")
        previous = self.registry.pop(model, None)
        if previous is not None:
            self.registry_by_url.pop((previous.app_label, previous.model_name), None)
        model_admin = admin_class(model)
        key = (model_admin.app_label, model_admin.model_name)
        if key in self.registry_by_url:
            raise ImproperlyConfigured(
                f"two registered models are {key[0]}.{key[1]}: set __app_label__ on one"
            )
        self.registry[model] = model_admin
        self.registry_by_url[key] = model_admin

    def init_app(self, app: App) -> None:
        """Add the pages, the templates and the startup checks."""
        from fastcore.admin.views import AdminViews
        from fastcore.templating import ChoiceLoader, PackageLoader
        from fastcore.templating.extension import Templates

        if self.register_auth:
            from fastcore.admin.auth_admin import register_auth_models

            register_auth_models(self)
        views = AdminViews(self)
        prefix = self.prefix
        model = prefix + "/{app_label}/{model_name}"
        obj = model + "/{object_id}"
        routes: list[tuple[str, Callable[..., Any], tuple[str, ...], str]] = [
            (prefix, views.index, ("GET",), "index"),
            (prefix + "/static/{filename}", views.static, ("GET",), "static"),
            (model, views.changelist, ("GET", "POST"), "changelist"),
            (model + "/add", views.add, ("GET", "POST"), "add"),
            (model + "/lookup", views.lookup, ("GET",), "lookup"),
            (obj + "/change", views.change, ("GET", "POST"), "change"),
            (obj + "/delete", views.delete, ("GET", "POST"), "delete"),
            (obj + "/history", views.history, ("GET",), "history"),
        ]
        for path, endpoint, methods, name in routes:
            app.add_route(path, endpoint, methods=methods, name=f"admin.{name}")
        templates = Templates.of(app).environment
        if templates.loader is None:
            raise ImproperlyConfigured("the app's template environment has no loader")
        # The app's folders come first: templates/admin/<name>.html overrides a page,
        # templates/admin/<app_label>/<model>/<name>.html one model's page.
        templates.loader = ChoiceLoader([templates.loader, PackageLoader("fastcore.admin")])
        app.add_check(self._check)

    def _check(self, app: App) -> list[CheckMessage]:
        from fastcore.auth.config import _flat_specs
        from fastcore.auth.middleware import AuthenticationMiddleware
        from fastcore.middleware.csrf import CSRFMiddleware
        from fastcore.orm.session import DatabaseSessionMiddleware

        classes = {spec.cls for spec in _flat_specs(app.middleware)}
        errors: list[CheckMessage] = []
        if DatabaseSessionMiddleware not in classes:
            errors.append(
                _error("the admin needs a database: call Database.init_app(app)", id="admin.E001")
            )
        if AuthenticationMiddleware not in classes:
            errors.append(
                _error(
                    "the admin needs fastcore.auth: call Auth(...).init_app(app)", id="admin.E002"
                )
            )
        if CSRFMiddleware not in classes:
            errors.append(
                _error(
                    "the admin needs CSRF protection: keep the default security stack "
                    "or add CSRFMiddleware",
                    id="admin.E003",
                )
            )
        for model_admin in self.registry.values():
            errors += _check_options(model_admin)
            errors += self._check_relations(model_admin)
        return errors

    def _check_relations(self, model_admin: ModelAdmin) -> list[CheckMessage]:
        """Errors in the inlines and ``autocomplete_fields`` of a model admin."""
        name = type(model_admin).__name__
        errors: list[CheckMessage] = []
        try:
            model_admin.inline_instances  # noqa: B018 - builds them, finding the foreign keys
        except ImproperlyConfigured as exc:
            errors.append(_error(str(exc), id="admin.E202"))
        for field in model_admin.autocomplete_fields:
            related = _autocomplete_target(model_admin, field)
            if related is None:
                errors.append(
                    _error(
                        f"{name}.autocomplete_fields: {field!r} is no foreign key or "
                        f"many-to-many field of {model_admin.model.__name__}",
                        id="admin.E037",
                    )
                )
            elif related not in self.registry:
                errors.append(
                    _error(
                        f"{name}.autocomplete_fields: {field!r} points to "
                        f"{getattr(related, '__name__', related)}, which is not registered",
                        id="admin.E039",
                        hint="register the related model: the lookup searches through its admin",
                    )
                )
        return errors

    def logout_url(self, request: Request) -> str | None:
        """The auth logout page, when the app has one."""
        try:
            return request.app.url_for("auth.logout")
        except Exception:  # no auth_routes: no logout button
            return None

    @functools.cache  # noqa: B019 - one Admin per app, and the files never change
    def static_files(self) -> dict[str, tuple[bytes, str]]:
        """The stylesheet and the script, read once from the package."""
        folder = resources.files("fastcore.admin") / "static"
        return {name: ((folder / name).read_bytes(), kind) for name, kind in _STATIC.items()}


def _error(message: str, id: str, hint: str = "fix the option or the model") -> CheckMessage:
    return CheckMessage("error", id, message, hint)


def _check_options(model_admin: ModelAdmin) -> list[CheckMessage]:
    """Errors in a ModelAdmin's options, named like Django's (``admin.E108``)."""
    name = type(model_admin).__name__
    model = model_admin.model.__name__
    columns = model_admin.columns
    errors: list[CheckMessage] = []
    for item in model_admin.list_display:
        if isinstance(item, str) and not (
            item in columns
            or item in model_admin.relationships
            or callable(getattr(model_admin, item, None))
            or hasattr(model_admin.model, item)
        ):
            errors.append(
                _error(
                    f"{name}.list_display: {item!r} is no column, relationship or method "
                    f"of {model}",
                    id="admin.E108",
                )
            )
    for item in model_admin.search_fields:
        problem = resolve_search_field(model_admin.model, item)
        if problem is not None:
            errors.append(_error(f"{name}.search_fields {item!r}: {problem}", id="admin.E126"))
    for item in model_admin.list_filter:
        info = columns.get(item)
        if info is None or not (
            info.python_type in (bool, datetime.date, datetime.datetime)
            or info.enum_class
            or info.choices
            or info.related
        ):
            errors.append(
                _error(
                    f"{name}.list_filter: {item!r} is no boolean, date, Enum or foreign key column "
                    f"of {model}",
                    id="admin.E116",
                )
            )
    for item in model_admin.ordering:
        if item.removeprefix("-") not in columns:
            errors.append(
                _error(f"{name}.ordering: {model} has no column {item!r}", id="admin.E033")
            )
    for item in [*model_admin.readonly_fields, *(model_admin.fields or ()), *model_admin.exclude]:
        if item not in columns and not hasattr(model_admin.model, item):
            errors.append(_error(f"{name}: {model} has no field {item!r}", id="admin.E035"))
    if model_admin.list_per_page < 1:
        errors.append(_error(f"{name}.list_per_page must be at least 1", id="admin.E118"))
    return errors


def _autocomplete_target(model_admin: ModelAdmin, field: str) -> type[Any] | None:
    """The model an ``autocomplete_fields`` entry searches (None: it names no relation)."""
    relationship = model_admin.many_to_many.get(field)
    if relationship is not None:
        return relationship.mapper.class_  # type: ignore[no-any-return]
    for key, info in model_admin.columns.items():
        if field in (key, info.relationship) and info.related is not None:
            return info.related
    return None
