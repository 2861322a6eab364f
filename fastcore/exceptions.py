"""The exception hierarchy: HTTP errors, parser errors and configuration errors.

Exceptions are defined here, in Python, and raised from the compiled kernels too,
so they stay picklable, subclassable and typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

__all__ = [
    "BadRequest",
    "ClientDisconnect",
    "FilterArgumentError",
    "Forbidden",
    "HTTPException",
    "ImproperlyConfigured",
    "MethodNotAllowed",
    "NotFound",
    "ParserError",
    "RouteConflict",
    "RouteError",
    "TemplateError",
    "TemplateRuntimeError",
    "Unauthorized",
    "UndefinedError",
    "WebSocketDisconnect",
    "WebSocketProtocolError",
]


def _reason(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


class HTTPException(Exception):
    """An error that the framework answers with an HTTP status.

    Args:
        status_code: The HTTP status to answer with.
        detail: A short, human-readable reason (defaults to the status phrase).
        headers: Extra response headers (for example ``Allow`` or ``Retry-After``).
    """

    def __init__(
        self,
        status_code: int,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.detail = detail if detail is not None else _reason(status_code)
        self.headers = dict(headers) if headers else {}
        super().__init__(status_code, self.detail)

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"detail={self.detail!r}, headers={self.headers!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (HTTPException, (self.status_code, self.detail, self.headers))


class BadRequest(HTTPException):
    """400 Bad Request."""

    def __init__(self, detail: str | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(400, detail, headers)


class Unauthorized(HTTPException):
    """401 Unauthorized."""

    def __init__(self, detail: str | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(401, detail, headers)


class Forbidden(HTTPException):
    """403 Forbidden."""

    def __init__(self, detail: str | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(403, detail, headers)


class NotFound(HTTPException):
    """404 Not Found."""

    def __init__(self, detail: str | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(404, detail, headers)


class MethodNotAllowed(HTTPException):
    """405 Method Not Allowed, carrying the ``Allow`` header."""

    def __init__(self, allowed: tuple[str, ...] | list[str], detail: str | None = None):
        self.allowed = tuple(allowed)
        super().__init__(405, detail, {"Allow": ", ".join(self.allowed)})

    def __reduce__(self) -> tuple[object, ...]:
        return (MethodNotAllowed, (self.allowed, self.detail))


class ParserError(Exception):
    """A malformed or over-limit HTTP request, found by the compiled parser.

    Args:
        status_code: The status to answer with (400, 413, 414, 431 or 505).
        detail: A short reason, safe to send to the client.
        offset: The byte offset in the connection's buffer where parsing failed.
    """

    def __init__(self, status_code: int, detail: str, offset: int = -1) -> None:
        self.status_code = status_code
        self.detail = detail
        self.offset = offset
        super().__init__(status_code, detail, offset)

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail} (at byte {self.offset})"


class ClientDisconnect(Exception):
    """The client closed the connection before the request body was complete."""


class WebSocketProtocolError(Exception):
    """A WebSocket peer broke RFC 6455 (or a limit): the connection closes with ``code``.

    Args:
        code: The close code the RFC requires (1002 protocol error, 1007
            invalid UTF-8, 1009 message too big).
        reason: A short reason, safe to send in the close frame.
    """

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(code, reason)

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


class WebSocketDisconnect(Exception):
    """The WebSocket closed: the peer sent a close frame or the connection was lost.

    Args:
        code: The close code (1005 when the close frame had none, 1006 when
            the connection was lost without one).
        reason: The close reason the peer gave ("" when none).
    """

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(code, reason)

    def __repr__(self) -> str:
        return f"WebSocketDisconnect(code={self.code!r}, reason={self.reason!r})"


class ImproperlyConfigured(Exception):
    """A setting, route or middleware is wrong; raised at startup, naming the culprit."""


class RouteError(ImproperlyConfigured):
    """A route pattern is malformed or uses an unknown converter."""


class RouteConflict(RouteError):
    """Two routes collide: the same pattern and method, or an ambiguous shadowing."""


class TemplateError(Exception):
    """Base class of the template engine's errors."""


# NOTE: the template runtime errors live here, not in fastcore.templating, because
# the compiled template runtime raises them and the kernels import nothing
# above this module; fastcore.templating.exceptions re-exports them.
class TemplateRuntimeError(TemplateError):
    """A template failed while rendering (a bad assignment or import, say)."""


class UndefinedError(TemplateRuntimeError):
    """An undefined value was used in a way that needs a real value."""


class FilterArgumentError(TemplateRuntimeError):
    """A filter was called with arguments it cannot use."""
