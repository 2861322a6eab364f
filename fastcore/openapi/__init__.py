"""OpenAPI 3.1: the document built from the routes, and the docs pages that show it.

``app.openapi`` holds an :class:`OpenAPIConfig`; by default the app serves
``/openapi.json``, Swagger UI at ``/docs`` and ReDoc at ``/redoc``. Set
``app.openapi = OpenAPIConfig(enabled=False)`` (before the app starts) to
serve none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastcore._lazy import lazy_exports
from fastcore.binding import validation_error_response as validation_error_response
from fastcore.openapi.config import OpenAPIConfig as OpenAPIConfig

if TYPE_CHECKING:
    from fastcore.openapi.document import build_document as build_document

__all__ = ["OpenAPIConfig", "build_document", "validation_error_response"]

# PERF: the document builder imports pydantic; it loads when the document is
# first built, not when the app installs the docs routes (bench/startup).
__getattr__, __dir__ = lazy_exports(
    __name__, globals(), {"build_document": "fastcore.openapi.document"}, __all__
)
