"""Form fields: how one submitted value is read, converted, validated and shown.

A field is declared on a :class:`~fastcore.forms.Form` class and turns the
submitted text (or file) into a typed value: ``IntegerField`` gives ``int``,
``DateField`` gives ``datetime.date``. A value that cannot be converted or
fails a validator becomes a message on that field, never an exception out of
the form.
"""

from __future__ import annotations

import datetime
import decimal
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from fastcore.forms.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
    RegexValidator,
    ValidationError,
    Validator,
    validate_email,
)
from fastcore.forms.widgets import (
    FALSE_VALUES,
    CheckboxInput,
    DateInput,
    DateTimeInput,
    EmailInput,
    FileInput,
    NumberInput,
    Select,
    SelectMultiple,
    TextInput,
    Widget,
    choice_key,
)
from fastcore.uploads import UploadFile

if TYPE_CHECKING:
    from fastcore.forms.forms import BoundField, Form

__all__ = [
    "BooleanField",
    "CharField",
    "ChoiceField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "Field",
    "FileField",
    "FloatField",
    "IntegerField",
    "MultipleChoiceField",
]

T = TypeVar("T")

# Printable text keeps tabs and line breaks; every other control character
# (NUL, escape sequences, DEL, C1 controls) is refused.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INTEGER = re.compile(r"[+-]?[0-9]{1,100}", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,100}(?:\.[0-9]{0,100})?|\.[0-9]{1,100})", re.ASCII)


def _matching(pattern: re.Pattern[str], raw: str, message: str) -> str:
    """The stripped text when the whole of it matches ``pattern``, else ``message``."""
    text = raw.strip()
    if not pattern.fullmatch(text):
        raise ValidationError(message)
    return text


def _not_text(raw: Any) -> str:
    if isinstance(raw, UploadFile):
        return "Expected text, not a file."
    return "Expected a single text value."


class Field(Generic[T]):
    """The base of form fields.

    Args:
        label: The text of the field's ``<label>`` (from its name by default).
        required: Whether an empty value is an error.
        initial: The value shown on an unbound form (or a callable giving it).
        help_text: A hint shown under the control.
        validators: Extra callables run on the converted value.
        widget: The control to render (each field has a sensible default).
        disabled: Shown but not editable; the submitted value is ignored and
            the initial value kept.
    """

    widget_class: type[Widget] = TextInput
    required_message = "This field is required."

    def __init__(
        self,
        *,
        label: str | None = None,
        required: bool = True,
        initial: Any = None,
        help_text: str = "",
        validators: Iterable[Validator] = (),
        widget: Widget | None = None,
        disabled: bool = False,
    ) -> None:
        self.name = ""
        self.label = label
        self.required = required
        self.initial = initial
        self.help_text = help_text
        self.validators: list[Validator] = list(validators)
        self.widget = widget if widget is not None else self.widget_class()
        self.disabled = disabled

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        if self.label is None:
            self.label = name.replace("_", " ").capitalize()

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: Form, owner: type[Any]) -> BoundField[T]: ...

    def __get__(self, instance: Form | None, owner: type[Any]) -> Self | BoundField[T]:
        if instance is None:
            return self
        return instance[self.name]

    # -- reading and cleaning ------------------------------------------------

    def value_from(self, data: Mapping[str, Any], name: str) -> Any:
        """Take this field's raw value out of the submitted data."""
        return data.get(name)

    def is_empty(self, raw: Any) -> bool:
        """Tell whether the raw value counts as "nothing entered"."""
        return raw is None or (isinstance(raw, str) and not raw.strip())

    def empty_value(self) -> T | None:
        """The cleaned value of an empty, optional field."""
        return None

    def to_python(self, raw: str) -> T:
        """Convert non-empty submitted text; raise ValidationError when it cannot be."""
        raise NotImplementedError

    def clean(self, raw: Any) -> T | None:
        """Return the typed, validated value, or raise ValidationError."""
        if self.is_empty(raw):
            if self.required:
                raise ValidationError(self.required_message)
            return self.empty_value()
        if not isinstance(raw, str):
            raise ValidationError(_not_text(raw))
        value = self.to_python(raw)
        self.run_validators(value)
        return value

    def run_validators(self, value: Any) -> None:
        """Run every validator, collecting all their messages."""
        messages: list[str] = []
        for validator in self.validators:
            try:
                validator(value)
            except ValidationError as exc:
                messages.extend(exc.messages)
        if messages:
            raise ValidationError(messages)

    # -- display -------------------------------------------------------------

    def format_value(self, value: Any) -> Any:
        """Turn an initial (typed) value into what the widget shows."""
        return "" if value is None else str(value)

    def widget_attrs(self) -> dict[str, Any]:
        """HTML attributes the field adds to its control (browser-side hints)."""
        return {"required": self.required, "disabled": self.disabled}


class CharField(Field[str]):
    """Text; stripped of surrounding white space, control characters refused.

    Args:
        min_length: The fewest characters accepted.
        max_length: The most characters accepted.
        regex: A pattern the whole value must match (with ``regex_message``).
        strip: Whether to strip surrounding white space.
    """

    def __init__(
        self,
        *,
        min_length: int | None = None,
        max_length: int | None = None,
        regex: str | re.Pattern[str] | None = None,
        regex_message: str = "Enter a valid value.",
        strip: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.min_length = min_length
        self.max_length = max_length
        self.strip = strip
        if min_length is not None:
            self.validators.insert(0, MinLengthValidator(min_length))
        if max_length is not None:
            self.validators.insert(0, MaxLengthValidator(max_length))
        if regex is not None:
            self.validators.append(RegexValidator(regex, regex_message))

    def empty_value(self) -> str:
        """Empty text is ``""``, not None."""
        return ""

    def to_python(self, raw: str) -> str:
        """Strip, normalize to NFC and refuse control characters."""
        value = raw.strip() if self.strip else raw
        if _CONTROL.search(value):
            raise ValidationError("Remove the control characters from this text.")
        return unicodedata.normalize("NFC", value)

    def widget_attrs(self) -> dict[str, Any]:
        """Add ``minlength``/``maxlength``."""
        return {
            **super().widget_attrs(),
            "minlength": self.min_length,
            "maxlength": self.max_length,
        }


class EmailField(CharField):
    """An e-mail address; the domain is lower-cased."""

    widget_class = EmailInput

    def __init__(self, *, max_length: int | None = 254, **options: Any) -> None:
        super().__init__(max_length=max_length, **options)
        self.validators.append(validate_email)

    def to_python(self, raw: str) -> str:
        """Lower-case the domain (the local part is the mail server's business)."""
        value = super().to_python(raw)
        local, at, domain = value.rpartition("@")
        return f"{local}{at}{domain.lower()}" if at else value


class _RangeField(Field[T]):
    """A field with an ordered value: ``min_value`` and ``max_value``."""

    def __init__(self, *, min_value: Any = None, max_value: Any = None, **options: Any) -> None:
        super().__init__(**options)
        self.min_value = min_value
        self.max_value = max_value
        if min_value is not None:
            self.validators.insert(0, MinValueValidator(min_value))
        if max_value is not None:
            self.validators.insert(0, MaxValueValidator(max_value))

    def widget_attrs(self) -> dict[str, Any]:
        """Add ``min``/``max``."""
        return {
            **super().widget_attrs(),
            "min": None if self.min_value is None else self.format_value(self.min_value),
            "max": None if self.max_value is None else self.format_value(self.max_value),
        }


class IntegerField(_RangeField[int]):
    """A whole number, in ASCII digits (no fullwidth or other look-alike digits)."""

    widget_class = NumberInput

    def to_python(self, raw: str) -> int:
        """Parse ``[+-]digits``."""
        return int(_matching(_INTEGER, raw, "Enter a whole number."))


class DecimalField(_RangeField[decimal.Decimal]):
    """An exact decimal number.

    Args:
        max_digits: The most digits in total.
        decimal_places: The most digits after the point.
    """

    widget_class = NumberInput

    def __init__(
        self, *, max_digits: int | None = None, decimal_places: int | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        self.max_digits = max_digits
        self.decimal_places = decimal_places

    def to_python(self, raw: str) -> decimal.Decimal:
        """Parse a plain decimal (no exponent, NaN or infinity) and check its digits."""
        value = decimal.Decimal(_matching(_DECIMAL, raw, "Enter a number."))
        _, digits, exponent = value.as_tuple()
        places = max(0, -int(exponent))
        whole = max(len(digits) - places, 0)
        if self.decimal_places is not None and places > self.decimal_places:
            raise ValidationError(
                f"Enter a number with at most {self.decimal_places} decimal places."
            )
        if self.max_digits is not None and whole + places > self.max_digits:
            raise ValidationError(f"Enter a number with at most {self.max_digits} digits.")
        if self.max_digits is not None and self.decimal_places is not None:
            # The column stores max_digits - decimal_places digits before the point.
            most = self.max_digits - self.decimal_places
            if whole > most:
                raise ValidationError(
                    f"Enter a number with at most {most} digits before the point."
                )
        return value

    def widget_attrs(self) -> dict[str, Any]:
        """Add ``step`` from ``decimal_places``."""
        step = (
            "any"
            if self.decimal_places is None
            else str(decimal.Decimal(1).scaleb(-self.decimal_places))
        )
        return {**super().widget_attrs(), "step": step}


class FloatField(_RangeField[float]):
    """A floating-point number (finite)."""

    widget_class = NumberInput

    def to_python(self, raw: str) -> float:
        """Parse a plain decimal into a float."""
        return float(_matching(_DECIMAL, raw, "Enter a number."))

    def widget_attrs(self) -> dict[str, Any]:
        """Any step."""
        return {**super().widget_attrs(), "step": "any"}


class BooleanField(Field[bool]):
    """A checkbox: ``True`` when ticked. ``required=True`` means it must be ticked."""

    widget_class = CheckboxInput
    required_message = "Tick this box to continue."

    def __init__(self, *, required: bool = False, **options: Any) -> None:
        super().__init__(required=required, **options)

    def is_empty(self, raw: Any) -> bool:
        """Unticked (absent, or a false-looking value) is empty."""
        return raw is None or (isinstance(raw, str) and raw.strip().lower() in FALSE_VALUES)

    def empty_value(self) -> bool:
        """Unticked is ``False``."""
        return False

    def to_python(self, raw: str) -> bool:
        """Anything that is not empty is ticked."""
        return True

    def format_value(self, value: Any) -> Any:
        """Keep booleans for the checkbox."""
        return bool(value)


class DateField(_RangeField[datetime.date]):
    """A date, as ``YYYY-MM-DD`` (what date pickers send)."""

    widget_class = DateInput

    def to_python(self, raw: str) -> datetime.date:
        """Parse an ISO 8601 date."""
        try:
            return datetime.date.fromisoformat(raw.strip())
        except ValueError:
            raise ValidationError("Enter a valid date (YYYY-MM-DD).") from None

    def format_value(self, value: Any) -> Any:
        """Show dates in ISO form."""
        return (
            value.isoformat() if isinstance(value, datetime.date) else super().format_value(value)
        )


class DateTimeField(_RangeField[datetime.datetime]):
    """A date and time, as ``YYYY-MM-DDTHH:MM[:SS]`` (what local date-time pickers send)."""

    widget_class = DateTimeInput

    def to_python(self, raw: str) -> datetime.datetime:
        """Parse an ISO 8601 date and time."""
        text = raw.strip()
        try:
            if len(text) < 16:  # a bare date is not a date and time
                raise ValueError(text)
            return datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError("Enter a valid date and time (YYYY-MM-DD HH:MM).") from None

    def format_value(self, value: Any) -> Any:
        """Show date-times the way a datetime-local control expects."""
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=None).isoformat(timespec="minutes")
        return super().format_value(value)


Choices = Sequence[tuple[Any, str]] | Sequence[str] | type[Enum]


def _normalize_choices(choices: Choices) -> list[tuple[str, str, Any]]:
    """(submitted text, label, Python value) for each choice."""
    if isinstance(choices, type) and issubclass(choices, Enum):
        return [(choice_key(m), m.name.replace("_", " ").capitalize(), m) for m in choices]
    out: list[tuple[str, str, Any]] = []
    for choice in choices:
        value, label = (choice, str(choice)) if isinstance(choice, str) else choice
        out.append((choice_key(value), str(label), value))
    return out


class ChoiceField(Field[Any]):
    """One value out of fixed choices.

    Args:
        choices: ``(value, label)`` pairs, plain strings, or an Enum class;
            the cleaned value is the choice's value (the Enum member).
    """

    widget_class = Select

    def __init__(self, *, choices: Choices, **options: Any) -> None:
        super().__init__(**options)
        self.choices = _normalize_choices(choices)
        self._by_key = {key: value for key, _, value in self.choices}
        if isinstance(self.widget, Select):
            self.widget.choices = [(key, label) for key, label, _ in self.choices]

    def lookup(self, raw: str) -> Any:
        """The value of the choice submitted as ``raw``."""
        try:
            return self._by_key[raw]
        except KeyError:
            raise ValidationError(f"Select a valid choice; {raw!r} is not one of them.") from None

    def to_python(self, raw: str) -> Any:
        """Look up the submitted choice."""
        return self.lookup(raw)


class MultipleChoiceField(ChoiceField):
    """Any number of values out of fixed choices (a list)."""

    widget_class = SelectMultiple

    def value_from(self, data: Mapping[str, Any], name: str) -> Any:
        """Every value sent under the name."""
        getlist: Callable[[str], list[Any]] | None = getattr(data, "getlist", None)
        if getlist is not None:
            return getlist(name)
        value = data.get(name)
        return [] if value is None else value if isinstance(value, list) else [value]

    def is_empty(self, raw: Any) -> bool:
        """No choice picked."""
        return not raw

    def empty_value(self) -> list[Any]:
        """Nothing picked is an empty list."""
        return []

    def clean(self, raw: Any) -> Any:
        """Look up every submitted choice; report the unknown ones."""
        if self.is_empty(raw):
            if self.required:
                raise ValidationError(self.required_message)
            return self.empty_value()
        for item in raw:
            if not isinstance(item, str):
                raise ValidationError(_not_text(item))
        values = [self.lookup(item) for item in raw]
        self.run_validators(values)
        return values

    def format_value(self, value: Any) -> Any:
        """Keep the list for the select."""
        return value


class FileField(Field[UploadFile]):
    """An uploaded file (needs ``enctype="multipart/form-data"`` on the form).

    Args:
        max_size: The largest file accepted, in bytes (the request's form
            limits still apply first).
        allowed_extensions: File name extensions accepted, like
            ``{".png", ".jpg"}``. The name is the client's claim: check the
            content too when the type matters.
    """

    widget_class = FileInput

    def __init__(
        self,
        *,
        max_size: int | None = None,
        allowed_extensions: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.max_size = max_size
        self.allowed_extensions = (
            None
            if allowed_extensions is None
            else sorted(
                {
                    ext.lower() if ext.startswith(".") else f".{ext.lower()}"
                    for ext in allowed_extensions
                }
            )
        )

    def is_empty(self, raw: Any) -> bool:
        """No file chosen: browsers send an empty part with an empty file name."""
        if isinstance(raw, UploadFile):
            return not raw.untrusted_filename and raw.size == 0
        return raw is None or raw == ""

    def clean(self, raw: Any) -> UploadFile | None:
        """Check that a file came, and its size and extension."""
        if not self.is_empty(raw) and not isinstance(raw, UploadFile):
            raise ValidationError('No file was sent; the form needs enctype="multipart/form-data".')
        if self.is_empty(raw):
            if self.required:
                raise ValidationError("Choose a file to upload.")
            return None
        assert isinstance(raw, UploadFile)  # checked above
        if self.max_size is not None and raw.size > self.max_size:
            raise ValidationError(f"The file is larger than {self.max_size} bytes.")
        if self.allowed_extensions is not None:
            extension = "." + raw.filename.rpartition(".")[2].lower() if "." in raw.filename else ""
            if extension not in self.allowed_extensions:
                allowed = ", ".join(self.allowed_extensions)
                raise ValidationError(f"Upload a file of one of these types: {allowed}.")
        self.run_validators(raw)
        return raw

    def format_value(self, value: Any) -> Any:
        """A file is never shown again."""
        return None

    def widget_attrs(self) -> dict[str, Any]:
        """Add ``accept`` from the allowed extensions."""
        accept = None if self.allowed_extensions is None else ",".join(self.allowed_extensions)
        return {**super().widget_attrs(), "accept": accept}
