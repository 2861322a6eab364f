"""Turning exceptions into responses: registered handlers, HTTP errors and 500s.

The App wraps its handler chain with :class:`ErrorHandling`: an exception type
or status code registered with ``@app.exception_handler`` gets its handler;
any other ``HTTPException`` gets the default error page (HTML for browsers,
JSON for API clients); a ``ClientDisconnect`` (the body never arrived whole)
is the client's doing: one INFO line and a 400; anything else is logged with
its traceback and answered 500, without touching other requests.
"""

from __future__ import annotations

import html
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastcore.concurrency import runs_without_suspending
from fastcore.exceptions import ClientDisconnect, HTTPException
from fastcore.responses import HTMLResponse, JSONResponse, Response

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["ErrorHandlers", "ExceptionHandler", "default_error_response", "wants_html"]

logger = logging.getLogger("fastcore.error")

ExceptionHandler = Callable[["Request", Any], "Response | Awaitable[Response]"]


def wants_html(request: Request) -> bool:
    """Tell whether the client prefers HTML to JSON (browsers do, API clients don't)."""
    accept = request.headers.get("accept", "")
    if "text/html" not in accept:
        return False
    # A client that names JSON before HTML is an API client asking politely.
    json_at = accept.find("application/json")
    return json_at == -1 or accept.find("text/html") < json_at


def default_error_response(
    request: Request, status_code: int, detail: str, headers: dict[str, str] | None = None
) -> Response:
    """Render the default error page for a status, as HTML or JSON by ``Accept``."""
    if wants_html(request):
        title = f"{status_code} {html.escape(detail)}"
        body = (
            '<!doctype html>\n<html><head><meta charset="utf-8">'
            f"<title>{title}</title></head>\n<body><h1>{title}</h1></body></html>\n"
        )
        return HTMLResponse(body, status_code=status_code, headers=headers)
    return JSONResponse(
        {"detail": detail, "status": status_code}, status_code=status_code, headers=headers
    )


class ErrorHandlers:
    """The App's registry of exception handlers, by exception class and by status."""

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.by_class: dict[type[BaseException], ExceptionHandler] = {}
        self.by_status: dict[int, ExceptionHandler] = {}

    def register(self, key: type[BaseException] | int, handler: ExceptionHandler) -> None:
        """Register ``handler`` for an exception class (and subclasses) or a status."""
        if not callable(handler):
            raise TypeError(f"exception handler {handler!r} is not callable")
        if isinstance(key, int):
            if not 400 <= key <= 599:
                raise ValueError(f"exception handlers are for 4xx/5xx statuses, not {key}")
            self.by_status[key] = handler
        elif isinstance(key, type) and issubclass(key, BaseException):
            self.by_class[key] = handler
        else:
            raise TypeError(f"register handlers for an exception class or a status, not {key!r}")

    @property
    def inline(self) -> bool:
        """Whether every registered handler may run outside an asyncio Task.

        True when each is a plain function or a coroutine that cannot suspend
        (see :func:`fastcore.concurrency.runs_without_suspending`).
        """
        handlers = [*self.by_class.values(), *self.by_status.values()]
        return all(
            not inspect.iscoroutinefunction(handler) or runs_without_suspending(handler)
            for handler in handlers
        )

    def _lookup(self, exc: BaseException) -> ExceptionHandler | None:
        for cls in type(exc).__mro__:
            handler = self.by_class.get(cls)
            if handler is not None:
                return handler
        if isinstance(exc, HTTPException):
            return self.by_status.get(exc.status_code)
        return None

    async def respond(self, request: Request, exc: BaseException) -> Response:
        """Answer ``exc``: its registered handler, the default page, or a logged 500."""
        handler = self._lookup(exc)
        if handler is not None:
            try:
                result = handler(request, exc)
                if inspect.isawaitable(result):
                    result = await result
                if not isinstance(result, Response):
                    raise TypeError(f"exception handler {handler!r} returned {result!r}")
                return result
            except Exception as handler_exc:  # a broken handler must still produce a 500
                return await self.server_error(request, handler_exc)
        if isinstance(exc, HTTPException):
            return default_error_response(request, exc.status_code, exc.detail, exc.headers)
        if isinstance(exc, ClientDisconnect):
            # Not a server error: a traceback per vanished client (or per body
            # the parser refused mid-read) would bury real ones in the log. The
            # 400 reaches a client that is still there; the server answers a
            # refused body with the parser's own status in any case.
            logger.info(
                "Request body incomplete in %s %s: %s", request.method, request.raw_path, exc
            )
            return default_error_response(request, 400, "Request body incomplete")
        return await self.server_error(request, exc)

    async def server_error(self, request: Request, exc: BaseException) -> Response:
        """Log an unexpected exception with its traceback and answer 500."""
        logger.error("Unhandled exception in %s %s", request.method, request.raw_path, exc_info=exc)
        handler = self.by_status.get(500)
        if handler is not None:
            try:
                result = handler(request, exc)
                if inspect.isawaitable(result):
                    result = await result
                if isinstance(result, Response):
                    return result
            except Exception:
                logger.exception("The 500 handler failed too")
        if self.debug:
            trace = "".join(traceback.format_exception(exc))
            if wants_html(request):
                return HTMLResponse(
                    f"<!doctype html>\n<title>500 Internal Server Error</title>\n"
                    f"<h1>500 Internal Server Error</h1>\n<pre>{html.escape(trace)}</pre>\n",
                    status_code=500,
                )
            return JSONResponse(
                {"detail": "Internal Server Error", "status": 500, "traceback": trace},
                status_code=500,
            )
        return default_error_response(request, 500, "Internal Server Error")
