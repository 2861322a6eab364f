"""Reading the auth pages' forms: the first text value of each field.

``Request.form()`` parses the body (urlencoded or multipart, with its size
and count limits, 400 for malformed bodies and 415 for non-forms); file parts
are ignored here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["read_form"]


async def read_form(request: Request) -> dict[str, str]:
    """The submitted text fields as ``{name: first value}``."""
    fields: dict[str, str] = {}
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str) and name not in fields:
            fields[name] = value
    return fields
