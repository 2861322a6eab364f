"""Reading the auth pages' forms: the first text value of each field.

``Request.form()`` parses the body (urlencoded or multipart, with its size
and count limits, 400 for malformed bodies and 415 for non-forms); file parts
are ignored here. A NUL character in a field is refused (400).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastcore.exceptions import HTTPException

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["read_form"]


async def read_form(request: Request) -> dict[str, str]:
    """The submitted text fields as ``{name: first value}``."""
    fields: dict[str, str] = {}
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str) and name not in fields:
            # SECURITY: PostgreSQL refuses NUL in text, so a NUL reaching a
            # query would fail it; no legitimate form field carries one.
            if "\x00" in value or "\x00" in name:
                raise HTTPException(400, f"The form field {name!r} contains a NUL character.")
            fields[name] = value
    return fields
