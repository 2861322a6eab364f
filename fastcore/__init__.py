"""fastcore: a batteries-included web framework with a compiled HTTP/1.1 core.

The public API is re-exported here::

    from fastcore import App, Request, abort
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from fastcore._lazy import lazy_exports
from fastcore._version import __version__ as __version__
from fastcore.app import RouteGroup as RouteGroup
from fastcore.background import BackgroundTasks as BackgroundTasks
from fastcore.batteries import App as App
from fastcore.binding import RequestValidationError as RequestValidationError
from fastcore.config import Settings as Settings
from fastcore.datastructures import URL as URL
from fastcore.datastructures import FormData as FormData
from fastcore.datastructures import Headers as Headers
from fastcore.datastructures import QueryParams as QueryParams
from fastcore.exceptions import HTTPException as HTTPException
from fastcore.exceptions import ImproperlyConfigured as ImproperlyConfigured
from fastcore.extensions import Extension as Extension
from fastcore.handlers import RouteOptions as RouteOptions
from fastcore.middleware_base import Middleware as Middleware
from fastcore.params import Body as Body
from fastcore.params import Cookie as Cookie
from fastcore.params import CurrentUser as CurrentUser
from fastcore.params import Depends as Depends
from fastcore.params import Form as Form
from fastcore.params import Header as Header
from fastcore.params import Path as Path
from fastcore.params import Query as Query
from fastcore.requests import Request as Request
from fastcore.responses import HTMLResponse as HTMLResponse
from fastcore.responses import JSONResponse as JSONResponse
from fastcore.responses import PlainTextResponse as PlainTextResponse
from fastcore.responses import RedirectResponse as RedirectResponse
from fastcore.responses import Response as Response
from fastcore.responses import StreamingResponse as StreamingResponse
from fastcore.uploads import UploadFile as UploadFile

if TYPE_CHECKING:
    from fastcore.openapi import OpenAPIConfig as OpenAPIConfig

__all__ = [
    "URL",
    "App",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "CurrentUser",
    "Depends",
    "Extension",
    "Form",
    "FormData",
    "Header",
    "HTMLResponse",
    "HTTPException",
    "Headers",
    "ImproperlyConfigured",
    "JSONResponse",
    "Middleware",
    "OpenAPIConfig",
    "Path",
    "PlainTextResponse",
    "Query",
    "QueryParams",
    "RedirectResponse",
    "Request",
    "RequestValidationError",
    "Response",
    "RouteGroup",
    "RouteOptions",
    "Settings",
    "StreamingResponse",
    "UploadFile",
    "__version__",
    "abort",
]


def abort(
    status_code: int, detail: str | None = None, headers: dict[str, str] | None = None
) -> NoReturn:
    """Stop the handler and answer ``status_code`` (raises :class:`HTTPException`)."""
    raise HTTPException(status_code, detail, headers)


# Batteries' names are imported on first use: `import fastcore` loads no battery.
__getattr__, __dir__ = lazy_exports(
    __name__, globals(), {"OpenAPIConfig": "fastcore.openapi"}, __all__
)
