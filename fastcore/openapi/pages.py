"""The interactive docs pages: Swagger UI and ReDoc, with assets served by the app.

The scripts and styles come from the app itself (:mod:`fastcore.openapi.assets`,
under ``OpenAPIConfig.assets_url``), so the pages work offline; with
``OpenAPIConfig.cdn_url`` set they come from that CDN instead. Each page
carries its own Content-Security-Policy (scripts from the app or the CDN and
one nonce'd inline script), which wins over the app's default policy. When
the CSRF middleware is active, Swagger UI sends the session's token in the
``X-CSRF-Token`` header of every request it makes, so "Try it out" works in
cookie-authenticated apps.
"""

from __future__ import annotations

import html
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import orjson

from fastcore.exceptions import ImproperlyConfigured
from fastcore.responses import HTMLResponse

if TYPE_CHECKING:
    from fastcore.openapi.config import OpenAPIConfig
    from fastcore.requests import Request

__all__ = ["redoc_page", "swagger_page"]


def _script_literal(value: object) -> str:
    # SECURITY: JSON inside <script> must not close the element or open a
    # comment; escaping <, > and & keeps any value inert (HTML 4.12.1.3).
    text = orjson.dumps(value).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csrf_token(request: Request) -> str | None:
    """The CSRF token for the page, when the CSRF middleware handles this request."""
    from fastcore.security.context import current_request

    if current_request.get() is not request:
        return None
    from fastcore.middleware.csrf import csrf_token

    try:
        return csrf_token()
    except ImproperlyConfigured:  # no session middleware: no CSRF either
        return None


def _page(config: OpenAPIConfig, title: str, head: str, body: str, nonce: str) -> HTMLResponse:
    source = "'self'"
    if config.cdn_url:
        parts = urlsplit(config.cdn_url)
        if parts.netloc:
            source = f"'self' {parts.scheme}://{parts.netloc}"
    policy = (
        f"default-src 'self'; script-src {source} 'nonce-{nonce}'; "
        f"style-src {source} 'unsafe-inline'; img-src {source} data:; "
        f"font-src {source} data:; worker-src 'self' blob:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'"
    )
    document = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{head}</head>\n<body>\n{body}</body></html>\n"
    )
    return HTMLResponse(
        document, headers={"content-security-policy": policy, "cache-control": "no-store"}
    )


def _asset_url(config: OpenAPIConfig, cdn_path: str, name: str) -> str:
    """Where a page loads an asset: the configured CDN, else the app's own asset route."""
    if config.cdn_url:
        return html.escape(f"{config.cdn_url.rstrip('/')}/{cdn_path}/{name}")
    return html.escape(f"{config.assets_url.rstrip('/')}/{name}")


def swagger_page(request: Request, config: OpenAPIConfig) -> HTMLResponse:
    """Swagger UI for the app's document."""
    nonce = secrets.token_urlsafe(16)
    # validatorUrl None: Swagger UI would otherwise send the document to an
    # online validator for its badge.
    settings = {
        "url": config.openapi_url,
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "validatorUrl": None,
    }
    stylesheet = _asset_url(config, "swagger-ui-dist@5", "swagger-ui.css")
    script = _asset_url(config, "swagger-ui-dist@5", "swagger-ui-bundle.js")
    head = f'<link rel="stylesheet" href="{stylesheet}">\n'
    body = (
        '<div id="swagger-ui"></div>\n'
        f'<script src="{script}"></script>\n'
        f'<script nonce="{nonce}">\n'
        f"const settings = {_script_literal(settings)};\n"
        f"const csrfToken = {_script_literal(_csrf_token(request))};\n"
        "settings.requestInterceptor = (req) => {\n"
        "  if (csrfToken) { req.headers['X-CSRF-Token'] = csrfToken; }\n"
        "  return req;\n"
        "};\n"
        "window.ui = SwaggerUIBundle(settings);\n"
        "</script>\n"
    )
    return _page(config, f"{config.title} - Swagger UI", head, body, nonce)


def redoc_page(request: Request, config: OpenAPIConfig) -> HTMLResponse:
    """ReDoc for the app's document (read-only: it sends no requests of its own)."""
    nonce = secrets.token_urlsafe(16)
    script = _asset_url(config, "redoc@2/bundles", "redoc.standalone.js")
    body = (
        f'<redoc spec-url="{html.escape(config.openapi_url or "")}"></redoc>\n'
        f'<script nonce="{nonce}" src="{script}"></script>\n'
    )
    return _page(config, f"{config.title} - ReDoc", "", body, nonce)
