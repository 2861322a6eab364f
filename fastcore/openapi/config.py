"""The OpenAPI settings of an App, and the routes that serve the document and docs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from fastcore.checks import CheckMessage
from fastcore.extensions import Extension
from fastcore.responses import Response

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.requests import Request

__all__ = ["OpenAPIConfig"]


@dataclasses.dataclass
class OpenAPIConfig(Extension):
    """What the app's OpenAPI document says, and where it and the docs are served.

    An extension: ``app.install(OpenAPIConfig(title=...))`` on a core App; the
    App of ``from fastcore import App`` installs one by default
    (``app.openapi``). Its routes are added when the app's routes freeze.

    Attributes:
        enabled: Serve the document and the docs pages at all.
        title: The API title (``info.title``).
        version: The API version (``info.version``).
        description: The API description (Markdown).
        openapi_url: Where the JSON document is served (None: not served,
            and then neither are the docs pages).
        docs_url: Where Swagger UI is served (None: not served).
        redoc_url: Where ReDoc is served (None: not served).
        assets_url: Where the app serves the docs pages' scripts and styles
            (Swagger UI and ReDoc from the ``openapi-ui-bundles`` package),
            so the pages work offline.
        cdn_url: Load the scripts and styles from this CDN instead
            (``{cdn_url}/swagger-ui-dist@5/swagger-ui-bundle.js``, ...); None
            (the default): from the app, at ``assets_url``.
        servers: The ``servers`` list of the document.
        security_schemes: ``components.securitySchemes`` (name to scheme object).
        security: The document-wide security requirements.
        tags: Tag objects (``{"name": ..., "description": ...}``), in display order.
    """

    enabled: bool = True
    title: str = "fastcore API"
    version: str = "0.1.0"
    description: str | None = None
    openapi_url: str | None = "/openapi.json"
    docs_url: str | None = "/docs"
    redoc_url: str | None = "/redoc"
    assets_url: str = "/docs/assets"
    cdn_url: str | None = None
    servers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    security_schemes: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    security: list[dict[str, list[str]]] | None = None
    tags: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    _cache: dict[int, bytes] = dataclasses.field(default_factory=dict, repr=False)

    name = "openapi"

    def init_app(self, app: App) -> None:
        """Add the check that the docs pages can load their scripts."""
        app.add_check(self.check)

    def check(self, app: App) -> list[CheckMessage]:
        """Report docs pages whose scripts cannot be served (``openapi-ui-bundles`` missing)."""
        # A config replaced by another (``app.openapi = ...``) no longer speaks for the app.
        if app.extensions.get(self.name) is not self or not self.enabled or self.cdn_url:
            return []
        if self.openapi_url is None:
            return []
        needed = {
            url: names
            for url, names in (
                (self.docs_url, ("swagger-ui-bundle.js", "swagger-ui.css")),
                (self.redoc_url, ("redoc.standalone.js",)),
            )
            if url is not None
        }
        if not needed:
            return []
        from fastcore.openapi.assets import missing_assets

        missing = missing_assets(name for names in needed.values() for name in names)
        if not missing:
            return []
        pages = [url for url, names in needed.items() if set(names) & set(missing)]
        return [
            CheckMessage(
                "error",
                "openapi.E001",
                f"the docs pages ({', '.join(pages)}) cannot load Swagger UI and ReDoc: "
                "the openapi-ui-bundles package, which ships them, is not installed "
                f"(missing: {', '.join(missing)})",
                "pip install openapi-ui-bundles (a dependency of fastcore-web); or load them "
                "from a CDN with app.openapi.cdn_url; or serve no docs pages with "
                "docs_url=None and redoc_url=None",
            )
        ]

    def document(self, app: App) -> dict[str, Any]:
        """Build the app's OpenAPI 3.1 document."""
        from fastcore.openapi.document import build_document

        return build_document(app, self)

    def document_bytes(self, app: App) -> bytes:
        """The document as JSON, built on first use (the routes are frozen by then)."""
        cached = self._cache.get(id(app))
        if cached is None:
            cached = self._cache[id(app)] = orjson.dumps(self.document(app))
        return cached

    def finalize_routes(self, app: App) -> None:
        """Add the document and docs routes to ``app`` (called once, before freezing)."""
        if not self.enabled or self.openapi_url is None:
            return
        from fastcore.openapi.pages import redoc_page, swagger_page

        config = self
        hidden: dict[str, Any] = {"include_in_schema": False}
        # An app's own route at one of these paths wins (the docs step aside).
        taken = {route.pattern.rstrip("/") for route in app.router.routes}

        def free(path: str) -> bool:
            return path.rstrip("/") not in taken

        async def openapi_document(request: Request) -> Response:
            return Response(config.document_bytes(request.app), media_type="application/json")

        document_url, docs_url, redoc_url = self.openapi_url, self.docs_url, self.redoc_url
        if document_url is None or not free(document_url):
            return
        app.add_route(document_url, openapi_document, name="openapi.document", **hidden)
        if docs_url is not None and free(docs_url):

            async def swagger_ui(request: Request) -> Response:
                return swagger_page(request, config)

            app.add_route(docs_url, swagger_ui, name="openapi.docs", **hidden)
        if redoc_url is not None and free(redoc_url):

            async def redoc(request: Request) -> Response:
                return redoc_page(request, config)

            app.add_route(redoc_url, redoc, name="openapi.redoc", **hidden)
        pages = [url for url in (docs_url, redoc_url) if url is not None and free(url)]
        if pages and not self.cdn_url:

            async def docs_asset(request: Request, name: str) -> Response:
                # Loaded on the first asset request, not by every app that starts.
                from fastcore.openapi.assets import asset_response

                return asset_response(request, name)

            app.add_route(
                self.assets_url.rstrip("/") + "/{name}", docs_asset, name="openapi.assets", **hidden
            )
