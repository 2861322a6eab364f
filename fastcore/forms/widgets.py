"""Widgets: the HTML controls fields render as, every value escaped.

A widget turns a field's name, its value for display and attributes into
:class:`~fastcore.templating.Markup`. Values come from users (the data of a
failed POST shown again), so each one goes through ``escape``; attribute
names come from code and are checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

from fastcore.templating import Markup, escape

__all__ = [
    "CheckboxInput",
    "DateInput",
    "DateTimeInput",
    "EmailInput",
    "FileInput",
    "HiddenInput",
    "Input",
    "NumberInput",
    "PasswordInput",
    "Select",
    "SelectMultiple",
    "TextInput",
    "Textarea",
    "Widget",
    "choice_key",
    "render_attrs",
]

_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")

#: Submitted checkbox values that mean "not ticked".
FALSE_VALUES = frozenset({"", "0", "false", "off", "no"})


def render_attrs(attrs: Mapping[str, Any]) -> Markup:
    """Render HTML attributes: ``True`` as a bare name, ``None``/``False`` left out.

    A trailing underscore is dropped (``class_`` for ``class``), and other
    underscores become dashes (``aria_describedby``).
    """
    parts: list[str] = []
    for raw_name, value in attrs.items():
        name = raw_name.rstrip("_").replace("_", "-")
        if not _ATTRIBUTE_NAME.fullmatch(name):
            raise ValueError(f"not an HTML attribute name: {raw_name!r}")
        if value is None or value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return Markup("".join(parts))


class Widget:
    """The base of widgets; subclasses implement :meth:`render`."""

    #: Whether the submitted value is shown again after a failed POST.
    redisplay = True

    def __init__(self, attrs: Mapping[str, Any] | None = None) -> None:
        self.attrs = dict(attrs or {})

    def render(self, name: str, value: Any, attrs: Mapping[str, Any]) -> Markup:
        """Return the control's HTML for ``name`` showing ``value``."""
        raise NotImplementedError


class Input(Widget):
    """An ``<input>`` of a given ``type``."""

    input_type = "text"

    def render(self, name: str, value: Any, attrs: Mapping[str, Any]) -> Markup:
        """Render ``<input type=... name=... value=...>``."""
        shown = value if self.redisplay and value not in (None, "") else None
        merged = {"type": self.input_type, "name": name, **self.attrs, **attrs, "value": shown}
        return Markup(f"<input{render_attrs(merged)}>")


class TextInput(Input):
    """A one-line text box."""


class EmailInput(Input):
    """An e-mail address box (the browser offers address completion)."""

    input_type = "email"


class NumberInput(Input):
    """A number box."""

    input_type = "number"


class DateInput(Input):
    """A date picker (sends ``YYYY-MM-DD``)."""

    input_type = "date"


class DateTimeInput(Input):
    """A local date and time picker (sends ``YYYY-MM-DDTHH:MM``)."""

    input_type = "datetime-local"


class HiddenInput(Input):
    """A hidden value (rendered with the form's hidden fields)."""

    input_type = "hidden"


class PasswordInput(Input):
    """A password box; what was typed is never sent back in the page."""

    input_type = "password"
    redisplay = False


class FileInput(Input):
    """A file chooser; browsers cannot be given a file back, so no value."""

    input_type = "file"
    redisplay = False


class CheckboxInput(Widget):
    """A checkbox, ticked when the value is true (or a true-looking submitted text)."""

    def render(self, name: str, value: Any, attrs: Mapping[str, Any]) -> Markup:
        """Render ``<input type="checkbox">``, ticked when ``value`` says so."""
        ticked = value if isinstance(value, bool) else str(value or "").lower() not in FALSE_VALUES
        merged = {"type": "checkbox", "name": name, "value": "on", **self.attrs, **attrs}
        merged["checked"] = ticked
        return Markup(f"<input{render_attrs(merged)}>")


class Textarea(Widget):
    """A multi-line text box."""

    def render(self, name: str, value: Any, attrs: Mapping[str, Any]) -> Markup:
        """Render ``<textarea>`` with the value as its escaped content."""
        merged = {"name": name, **self.attrs, **attrs}
        # NOTE: HTML drops one newline right after <textarea>; the added one
        # keeps a value that starts with a newline intact.
        text = escape("" if value is None else value)
        return Markup(f"<textarea{render_attrs(merged)}>\n{text}</textarea>")


class Select(Widget):
    """A drop-down list of ``(value, label)`` choices."""

    multiple = False

    def __init__(
        self,
        attrs: Mapping[str, Any] | None = None,
        choices: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(attrs)
        self.choices = list(choices)

    def render(self, name: str, value: Any, attrs: Mapping[str, Any]) -> Markup:
        """Render ``<select>`` with the chosen value(s) selected."""
        chosen = _as_strings(value)
        merged = {"name": name, "multiple": self.multiple, **self.attrs, **attrs}
        # NOTE: written out rather than through render_attrs: a select of a
        # foreign key has one option per related row, and this is its cost.
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if key in chosen else ""}>'
            f"{escape(label)}</option>"
            for key, label in self.choices
        )
        return Markup(f"<select{render_attrs(merged)}>{options}</select>")


class SelectMultiple(Select):
    """A list from which several choices can be picked."""

    multiple = True


def _as_strings(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str) or not isinstance(value, Iterable):
        return {choice_key(value)}
    return {choice_key(item) for item in value}


def choice_key(value: Any) -> str:
    """The submitted text of a choice value (an Enum member's value, or str())."""
    return str(value.value if isinstance(value, Enum) else value)
