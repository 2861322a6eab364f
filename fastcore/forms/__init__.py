"""Forms: declarative form classes, validation, rendering, and form body parsing.

::

    from fastcore.forms import CharField, EmailField, Form

    class ContactForm(Form):
        name = CharField(max_length=100)
        email = EmailField()

``ModelForm`` (fields from a SQLAlchemy model) loads SQLAlchemy on first use.
See docs/forms.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastcore.formparsers import FormLimits as FormLimits
from fastcore.formparsers import form_limits as form_limits
from fastcore.forms.fields import BooleanField as BooleanField
from fastcore.forms.fields import CharField as CharField
from fastcore.forms.fields import ChoiceField as ChoiceField
from fastcore.forms.fields import DateField as DateField
from fastcore.forms.fields import DateTimeField as DateTimeField
from fastcore.forms.fields import DecimalField as DecimalField
from fastcore.forms.fields import EmailField as EmailField
from fastcore.forms.fields import Field as Field
from fastcore.forms.fields import FileField as FileField
from fastcore.forms.fields import FloatField as FloatField
from fastcore.forms.fields import IntegerField as IntegerField
from fastcore.forms.fields import MultipleChoiceField as MultipleChoiceField
from fastcore.forms.forms import BoundField as BoundField
from fastcore.forms.forms import ErrorList as ErrorList
from fastcore.forms.forms import Form as Form
from fastcore.forms.forms import Label as Label
from fastcore.forms.forms import csrf_field as csrf_field
from fastcore.forms.validators import EmailValidator as EmailValidator
from fastcore.forms.validators import MaxLengthValidator as MaxLengthValidator
from fastcore.forms.validators import MaxValueValidator as MaxValueValidator
from fastcore.forms.validators import MinLengthValidator as MinLengthValidator
from fastcore.forms.validators import MinValueValidator as MinValueValidator
from fastcore.forms.validators import RegexValidator as RegexValidator
from fastcore.forms.validators import ValidationError as ValidationError
from fastcore.forms.validators import validate_email as validate_email
from fastcore.forms.widgets import CheckboxInput as CheckboxInput
from fastcore.forms.widgets import DateInput as DateInput
from fastcore.forms.widgets import DateTimeInput as DateTimeInput
from fastcore.forms.widgets import EmailInput as EmailInput
from fastcore.forms.widgets import FileInput as FileInput
from fastcore.forms.widgets import HiddenInput as HiddenInput
from fastcore.forms.widgets import NumberInput as NumberInput
from fastcore.forms.widgets import PasswordInput as PasswordInput
from fastcore.forms.widgets import Select as Select
from fastcore.forms.widgets import SelectMultiple as SelectMultiple
from fastcore.forms.widgets import Textarea as Textarea
from fastcore.forms.widgets import TextInput as TextInput
from fastcore.forms.widgets import Widget as Widget

if TYPE_CHECKING:
    from fastcore.forms.models import ModelForm as ModelForm

__all__ = [
    "BooleanField",
    "BoundField",
    "CharField",
    "CheckboxInput",
    "ChoiceField",
    "DateField",
    "DateInput",
    "DateTimeField",
    "DateTimeInput",
    "DecimalField",
    "EmailField",
    "EmailInput",
    "EmailValidator",
    "ErrorList",
    "Field",
    "FileField",
    "FileInput",
    "FloatField",
    "Form",
    "FormLimits",
    "HiddenInput",
    "IntegerField",
    "Label",
    "MaxLengthValidator",
    "MaxValueValidator",
    "MinLengthValidator",
    "MinValueValidator",
    "ModelForm",
    "MultipleChoiceField",
    "NumberInput",
    "PasswordInput",
    "RegexValidator",
    "Select",
    "SelectMultiple",
    "TextInput",
    "Textarea",
    "ValidationError",
    "Widget",
    "csrf_field",
    "form_limits",
    "validate_email",
]


def __getattr__(name: str) -> Any:
    # PERF: ModelForm imports SQLAlchemy (~0.4 s); only apps that use it pay.
    if name == "ModelForm":
        from fastcore.forms.models import ModelForm

        return ModelForm
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
