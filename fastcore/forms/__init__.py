"""Forms: declarative form classes, validation, rendering, and form body parsing."""

from __future__ import annotations

from fastcore.forms.parsers import FormLimits as FormLimits
from fastcore.forms.parsers import form_limits as form_limits

__all__ = ["FormLimits", "form_limits"]
