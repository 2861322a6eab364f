"""The middleware contract.

A middleware is a class built once at startup around the next handler in the
chain and called once per request::

    class Timing(Middleware):
        async def __call__(self, request: Request) -> Response:
            started = time.perf_counter()
            response = await self.next(request)
            response.headers["server-timing"] = f"app;dur={time.perf_counter() - started:.3f}"
            return response

    app.add_middleware(Timing)

Rules of the contract:

- ``__init__(self, next, **options)`` receives the next handler and the
  options given to :meth:`fastcore.App.add_middleware`; validate options there,
  so a bad one fails at startup.
- ``__call__(self, request)`` returns a :class:`~fastcore.responses.Response`.
  It may answer by itself without calling ``self.next`` (a cache, a redirect).
- Exceptions may propagate: the App turns ``HTTPException`` and registered
  exception types into responses around every layer, and anything else into a
  logged 500, so a middleware only catches what it wants to handle.
- The first middleware added is the outermost. With none installed, requests
  go straight to the router: middleware costs nothing unless used.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["FunctionMiddleware", "Handler", "Middleware", "MiddlewareSpec"]

#: The next layer of the chain: a request in, a response out.
Handler = Callable[["Request"], Awaitable["Response"]]


class Middleware:
    """Base class of middleware: holds the next handler and passes requests on.

    Attributes:
        inline_safe: Set by a middleware whose code up to its first
            suspension never needs ``asyncio.current_task()`` (the
            framework's own set it): the server may then start a request
            through it without a Task when the route allows it too. Other
            middleware run inside a Task from their first line
            (``asyncio.timeout()``, anyio and httpx need one).
    """

    inline_safe: ClassVar[bool] = False

    def __init__(self, next: Handler, **options: Any) -> None:
        if options:
            names = ", ".join(sorted(options))
            raise TypeError(f"{type(self).__name__} takes no options (got {names})")
        self.next = next

    async def __call__(self, request: Request) -> Response:
        """Handle a request; the base class only calls the next layer."""
        return await self.next(request)


FunctionStyle = Callable[["Request", Handler], Awaitable["Response"]]


class FunctionMiddleware(Middleware):
    """Adapts ``async def mw(request, call_next)`` functions to the class contract."""

    def __init__(self, next: Handler, *, dispatch: FunctionStyle) -> None:
        super().__init__(next)
        self.dispatch = dispatch

    async def __call__(self, request: Request) -> Response:
        """Call the wrapped function with the request and the next handler."""
        return await self.dispatch(request, self.next)


class MiddlewareSpec(NamedTuple):
    """A middleware class and its options, as registered on the App."""

    cls: type[Middleware] | Callable[..., Handler]
    options: dict[str, Any]

    @property
    def inline_safe(self) -> bool:
        """Whether the middleware may start outside an asyncio Task (see Middleware)."""
        return bool(getattr(self.cls, "inline_safe", False))

    def build(self, next: Handler) -> Handler:
        """Instantiate the middleware around ``next``."""
        return self.cls(next, **self.options)
