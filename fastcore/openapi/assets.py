"""The docs pages' scripts and styles, served by the app itself (no CDN, works offline).

Swagger UI and ReDoc come from the ``openapi-ui-bundles`` package on PyPI
(a dependency of fastcore), which ships their distribution builds; fastcore
keeps no copy of them. Only the files the pages use are served, by name, so
no request can reach another file of the package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

from fastcore.responses import Response

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["ASSETS", "asset_response", "load_asset", "missing_assets"]

#: File name served -> (package holding it, media type).
ASSETS: dict[str, tuple[str, str]] = {
    "swagger-ui-bundle.js": ("openapi_ui_bundles.swagger_ui", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("openapi_ui_bundles.swagger_ui", "text/css; charset=utf-8"),
    "redoc.standalone.js": ("openapi_ui_bundles.redoc", "text/javascript; charset=utf-8"),
}

_loaded: dict[str, tuple[bytes, str]] = {}


def load_asset(name: str) -> tuple[bytes, str] | None:
    """The bytes and ETag of an asset, read once per process; None if it is not one.

    Raises:
        ModuleNotFoundError: ``openapi-ui-bundles`` is not installed.
    """
    found = _loaded.get(name)
    if found is None:
        if name not in ASSETS:
            return None
        package, _ = ASSETS[name]
        content = (resources.files(package) / "vendor" / name).read_bytes()
        etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        found = _loaded[name] = (content, etag)
    return found


def missing_assets(names: Iterable[str]) -> list[str]:
    """The assets among ``names`` that cannot be read: their package is missing or incomplete."""
    missing = []
    for name in names:
        package, _ = ASSETS[name]
        try:
            found = (resources.files(package) / "vendor" / name).is_file()
        except ImportError:  # openapi-ui-bundles (or the subpackage) is not installed
            found = False
        if not found:
            missing.append(name)
    return missing


def asset_response(request: Request, name: str) -> Response:
    """Answer with the asset ``name`` (304 when the client has it, 404 if unknown)."""
    found = load_asset(name)
    if found is None:
        return Response(b"Not Found", status_code=404, media_type="text/plain; charset=utf-8")
    content, etag = found
    # The URL carries no version, so clients revalidate (a 304 costs no body).
    headers = {"etag": etag, "cache-control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(content, media_type=ASSETS[name][1], headers=headers)
