"""Declarative forms: bind submitted data, validate it, render it back with errors.

::

    class ContactForm(Form):
        name = CharField(max_length=100)
        email = EmailField()

    form = await ContactForm.from_request(request)
    if form.is_valid():
        send(form.cleaned_data["email"])      # or form.email.value, typed str | None
    return app.render("contact.html", form=form)   # {{ form.as_div() }}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from fastcore.exceptions import ImproperlyConfigured
from fastcore.forms.fields import Field, FileField
from fastcore.forms.validators import ValidationError
from fastcore.forms.widgets import HiddenInput, render_attrs
from fastcore.templating import Markup, escape

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["BoundField", "ErrorList", "Form", "Label", "csrf_field"]

T = TypeVar("T")

# Set on every instance, so unavailable as field names.
_INSTANCE_ATTRIBUTES = frozenset(
    {"data", "is_bound", "initial", "cleaned_data", "instance", "model", "prefix"}
)

#: Methods whose requests carry a form body (others give an unbound form).
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorList(list[str]):
    """A field's (or the form's) error messages; renders as an escaped ``<ul>``."""

    def __html__(self) -> Markup:
        if not self:
            return Markup("")
        items = "".join(f"<li>{escape(message)}</li>" for message in self)
        return Markup(f'<ul class="errors">{items}</ul>')


class Label:
    """A field's label: ``{{ field.label }}`` is the ``<label>`` tag, ``.text`` the text."""

    __slots__ = ("text", "field_id")

    def __init__(self, text: str, field_id: str) -> None:
        self.text = text
        self.field_id = field_id

    def __html__(self) -> Markup:
        return Markup(f'<label for="{escape(self.field_id)}">{escape(self.text)}</label>')

    def __str__(self) -> str:
        return str(self.__html__())


class BoundField(Generic[T]):
    """A field of one form instance: its data, errors, value and HTML.

    ``{{ form.email }}`` renders the control with what the user sent (after a
    failed POST) or the initial value; ``{{ form.email(class_="wide") }}``
    adds attributes.
    """

    __slots__ = ("form", "field", "name", "html_name", "id")

    def __init__(self, form: Form, field: Field[T]) -> None:
        self.form = form
        self.field = field
        self.name = field.name
        #: The name the control is submitted under (``prefix-name`` on a prefixed form).
        self.html_name = f"{form.prefix}-{field.name}" if form.prefix else field.name
        self.id = f"id_{self.html_name}"

    @property
    def label(self) -> Label:
        """The field's ``<label>``."""
        return Label(self.field.label or "", self.id)

    @property
    def errors(self) -> ErrorList:
        """This field's error messages (empty when valid or unbound)."""
        return self.form.errors.get(self.name, ErrorList())

    @property
    def help_text(self) -> str:
        """The field's hint."""
        return self.field.help_text

    @property
    def data(self) -> Any:
        """The raw submitted value (None on an unbound form)."""
        if not self.form.is_bound:
            return None
        return self.field.value_from(self.form.data or {}, self.html_name)

    @property
    def value(self) -> T | None:
        """The cleaned, typed value (None until the form is validated, or when invalid)."""
        if self.form.is_bound:
            self.form.errors  # noqa: B018 - validates on first access
        value: T | None = self.form.cleaned_data.get(self.name)
        return value

    def initial_value(self) -> Any:
        """The initial value: the form's ``initial``, else the field's."""
        initial = self.form.initial.get(self.name, self.field.initial)
        return initial() if callable(initial) else initial

    def display_value(self) -> Any:
        """What the control shows: the submitted value when bound, else the initial one."""
        if self.form.is_bound and not self.field.disabled:
            raw = self.data
            return None if raw is not None and not isinstance(raw, str | list) else raw
        return self.field.format_value(self.initial_value())

    @property
    def is_hidden(self) -> bool:
        """Whether the control is a hidden input."""
        return isinstance(self.field.widget, HiddenInput)

    def render(self, **attrs: Any) -> Markup:
        """Render the control, with extra HTML attributes."""
        extra: dict[str, Any] = {"id": self.id, **self.field.widget_attrs()}
        described = [f"{self.id}_help"] if self.help_text else []
        if self.errors:
            extra["aria_invalid"] = "true"
            described.append(f"{self.id}_errors")
        if described:
            extra["aria_describedby"] = " ".join(described)
        extra.update(attrs)
        return self.field.widget.render(self.html_name, self.display_value(), extra)

    __call__ = render

    def __html__(self) -> Markup:
        return self.render()

    def __str__(self) -> str:
        return str(self.render())

    def __repr__(self) -> str:
        return f"<BoundField {self.name!r} of {type(self.form).__name__}>"


def csrf_field() -> Markup:
    """The CSRF hidden input when the CSRF middleware serves this request, else nothing."""
    from fastcore.middleware import csrf
    from fastcore.security.context import current_request

    request = current_request.get()
    app = getattr(request, "app", None) if request is not None else None
    # The CSRF middleware installs its own csrf_input as a template global for
    # the apps it runs in: that is what tells it is active here.
    if app is None or app.template_globals.get("csrf_input") is not csrf.csrf_input:
        return Markup("")
    field: Markup = csrf.csrf_input()
    return field


class Form:
    """The base of declarative forms; fields are class attributes.

    Args:
        data: The submitted data (``await request.form()``, a dict, query
            parameters); ``None`` gives an unbound form that only displays.
        initial: Values shown on an unbound form, by field name.
        prefix: Submit every field as ``prefix-name`` (several forms of the
            same class in one page, the admin's inline rows).

    Field names must not shadow the form's own attributes (``errors``,
    ``data``, ...); that is refused when the class is defined.
    """

    #: The declared fields, in order (base classes' first).
    fields: ClassVar[dict[str, Field[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Field[Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Field):
                    fields[name] = value
                elif name in fields:
                    del fields[name]  # a subclass removed the field (name = None)
        for name in fields:
            if hasattr(Form, name) or name in _INSTANCE_ATTRIBUTES or name.startswith("_"):
                raise ImproperlyConfigured(
                    f"{cls.__name__}.{name}: a field cannot be named like a Form attribute "
                    "or start with an underscore; rename it"
                )
        cls.fields = fields

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, Any] | None = None,
        prefix: str = "",
    ) -> None:
        self.data = data
        self.prefix = prefix
        self.is_bound = data is not None
        self.initial: dict[str, Any] = dict(initial or {})
        #: The valid fields' typed values, after validation (Django's cleaned_data).
        self.cleaned_data: dict[str, Any] = {}
        self._errors: dict[str, ErrorList] | None = None
        self._bound = {name: BoundField(self, field) for name, field in self.fields.items()}

    @classmethod
    async def from_request(cls, request: Request, **options: Any) -> Self:
        """Bind the request's form body (POST, PUT, PATCH, DELETE); unbound on GET."""
        if request.method in BODY_METHODS:
            return cls(await request.form(), **options)
        return cls(None, **options)

    # -- access --------------------------------------------------------------

    def __getitem__(self, name: str) -> BoundField[Any]:
        return self._bound[name]

    def __iter__(self) -> Iterator[BoundField[Any]]:
        return iter(self._bound.values())

    def __contains__(self, name: object) -> bool:
        return name in self._bound

    @property
    def is_multipart(self) -> bool:
        """Whether the form has a file field (needs ``enctype="multipart/form-data"``)."""
        return any(isinstance(field, FileField) for field in self.fields.values())

    # -- validation ----------------------------------------------------------

    @property
    def errors(self) -> dict[str, ErrorList]:
        """Error messages by field name; ``"__all__"`` holds the non-field ones."""
        if self._errors is None:
            self._errors = {}
            if self.is_bound:
                self.full_clean()
        return self._errors

    @property
    def non_field_errors(self) -> ErrorList:
        """Errors about the form as a whole (from :meth:`clean`)."""
        return self.errors.get("__all__", ErrorList())

    def is_valid(self) -> bool:
        """Validate (once) and tell whether the bound data is valid."""
        return self.is_bound and not self.errors

    def add_error(self, field: str | None, error: str | ValidationError) -> None:
        """Add a message to a field (or to the form with ``None``); drops its clean value."""
        key = "__all__" if field is None else field
        if field is not None and field not in self.fields:
            raise ValueError(f"{type(self).__name__} has no field {field!r}")
        messages = error.messages if isinstance(error, ValidationError) else [error]
        errors = self._errors if self._errors is not None else self.errors
        errors.setdefault(key, ErrorList()).extend(messages)
        self.cleaned_data.pop(key, None)

    def full_clean(self) -> None:
        """Clean every field, then run :meth:`clean` for cross-field rules."""
        data = self.data or {}
        for name, field in self.fields.items():
            if field.disabled:  # not editable: what was sent is ignored
                self.cleaned_data[name] = self._bound[name].initial_value()
                continue
            try:
                raw = field.value_from(data, self._bound[name].html_name)
                self.cleaned_data[name] = field.clean(raw)
            except ValidationError as exc:
                self.add_error(name, exc)
        try:
            self.clean()
        except ValidationError as exc:
            self.add_error(None, exc)

    def clean(self) -> None:
        """Check rules across fields; raise ValidationError or call add_error.

        Runs after every field is cleaned; ``self.cleaned_data`` holds the
        fields that were valid.
        """

    # -- rendering -----------------------------------------------------------

    def hidden_fields(self) -> Markup:
        """The CSRF input (when the CSRF middleware is active) and hidden fields."""
        hidden = "".join(str(bound.render()) for bound in self if bound.is_hidden)
        return Markup(f"{csrf_field()}{hidden}")

    def as_div(self) -> Markup:
        """Render the whole form body: errors, hidden fields, one ``<div>`` per field."""
        parts = [str(self.non_field_errors.__html__()), str(self.hidden_fields())]
        for bound in self:
            if bound.is_hidden:
                continue
            classes = f"field field-{bound.name}" + (" has-error" if bound.errors else "")
            help_html = (
                f'<small class="help" id="{bound.id}_help">{escape(bound.help_text)}</small>'
                if bound.help_text
                else ""
            )
            errors = str(bound.errors.__html__()).replace(
                '<ul class="errors">', f'<ul class="errors" id="{bound.id}_errors">', 1
            )
            parts.append(
                f"<div{render_attrs({'class': classes})}>{bound.label.__html__()}"
                f"{bound.render()}{help_html}{errors}</div>"
            )
        return Markup("\n".join(part for part in parts if part))

    def __html__(self) -> Markup:
        return self.as_div()

    def __repr__(self) -> str:
        state = "unbound" if not self.is_bound else "bound"
        return f"<{type(self).__name__} {state}, fields={list(self.fields)}>"
