"""Reading the auth pages' urlencoded forms.

Uses ``Request.form()`` when the framework provides it; otherwise parses the
``application/x-www-form-urlencoded`` body here. Only the first value of each
field counts, and the number of fields is capped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from fastcore.exceptions import HTTPException

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["read_form"]

MAX_FIELDS = 50


async def read_form(request: Request) -> dict[str, str]:
    """The submitted fields as ``{name: first value}`` (strings only)."""
    form_method: Any = getattr(request, "form", None)
    if form_method is not None:
        form = await form_method()
        items = form.multi_items() if hasattr(form, "multi_items") else form.items()
        return _first_strings(items)
    if request.content_type != "application/x-www-form-urlencoded":
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded.")
    body = await request.body()
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, f"The form could not be read: {exc}") from None
    return _first_strings(pairs)


def _first_strings(items: Any) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, value in items:
        if isinstance(value, str) and name not in fields:
            fields[name] = value
    return fields
