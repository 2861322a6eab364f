"""The interactive docs pages: Swagger UI and ReDoc, loaded from a CDN.

Each page carries its own Content-Security-Policy (scripts from the CDN and
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
    parts = urlsplit(config.cdn_url)
    cdn = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "'self'"
    policy = (
        f"default-src 'self'; script-src 'self' {cdn} 'nonce-{nonce}'; "
        f"style-src 'self' {cdn} 'unsafe-inline'; img-src 'self' data: {cdn}; "
        f"font-src 'self' data: {cdn}; worker-src 'self' blob:; connect-src 'self'; "
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


def swagger_page(request: Request, config: OpenAPIConfig) -> HTMLResponse:
    """Swagger UI for the app's document."""
    base = html.escape(config.cdn_url.rstrip("/"))
    nonce = secrets.token_urlsafe(16)
    settings = {"url": config.openapi_url, "dom_id": "#swagger-ui", "deepLinking": True}
    head = f'<link rel="stylesheet" href="{base}/swagger-ui-dist@5/swagger-ui.css">\n'
    body = (
        '<div id="swagger-ui"></div>\n'
        f'<script src="{base}/swagger-ui-dist@5/swagger-ui-bundle.js"></script>\n'
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
    base = html.escape(config.cdn_url.rstrip("/"))
    nonce = secrets.token_urlsafe(16)
    body = (
        f'<redoc spec-url="{html.escape(config.openapi_url or "")}"></redoc>\n'
        f'<script nonce="{nonce}" src="{base}/redoc@2/bundles/redoc.standalone.js"></script>\n'
    )
    return _page(config, f"{config.title} - ReDoc", "", body, nonce)
