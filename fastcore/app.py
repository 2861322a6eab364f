"""The core App: routes, route groups, middleware, error handlers, lifespan, extensions.

An App is built up by decorators at import time and frozen at startup, when
:meth:`App.build_dispatch` turns it into one callable the server calls per
request: route, call the handler, convert its return value, map exceptions.

This class knows no battery: templates, the default security stack, OpenAPI,
the database and auth plug in through :meth:`App.install` (see
:mod:`fastcore.extensions`). ``from fastcore import App`` gives
:class:`fastcore.batteries.App`, this class with the default batteries.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from fastcore._speedups.protocol import Gate, RoutedDispatch, RouteMatcher
from fastcore.binding import RequestValidationError, validation_error_response
from fastcore.checks import Check, CheckMessage, enforce, missing_extensions
from fastcore.concurrency import configure_threadpool
from fastcore.config import Settings
from fastcore.error_handlers import ErrorHandlers, ExceptionHandler
from fastcore.exceptions import ImproperlyConfigured, MethodNotAllowed, NotFound
from fastcore.extensions import Extension
from fastcore.handlers import HandlerPlan, RouteOptions, to_response
from fastcore.middleware_base import FunctionMiddleware, Handler, MiddlewareSpec
from fastcore.request_attributes import with_request_attributes
from fastcore.requests import Request
from fastcore.responses import RedirectResponse, Response
from fastcore.routing import Router
from fastcore.routing.router import Route, normalize_methods
from fastcore.routing.urls import URLBuildError
from fastcore.websocket_middleware import ChainRunner, refuse_with, websocket_chain

if TYPE_CHECKING:
    from fastcore.types import Receive, Scope, Send, WebSocketConnection, WebSocketEndpoint

__all__ = ["App", "Dispatch", "RouteGroup"]

_log = logging.getLogger("fastcore.app")

F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E", bound=Extension)
Lifespan = Callable[["App"], contextlib.AbstractAsyncContextManager[Any]]
Hook = Callable[[], Any]

#: Turns one parsed request into its response: the single entry point the
#: connection protocol calls. It returns a coroutine the protocol drives.
Dispatch = Callable[[Request], Awaitable[Response]]


class _PendingRoute(NamedTuple):
    path: str
    endpoint: Callable[..., Any]
    methods: tuple[str, ...]
    name: str | None
    name_given: bool
    middleware: tuple[MiddlewareSpec, ...]
    options: RouteOptions = RouteOptions()
    websocket: bool = False  # a WebSocket handler (endpoint is the handler itself)


def _default_name(endpoint: Callable[..., Any]) -> str | None:
    name = getattr(endpoint, "__name__", None)
    # Lambdas and other anonymous callables get no default route name.
    return name if isinstance(name, str) and name.isidentifier() else None


def _pending(
    path: str,
    endpoint: Callable[..., Any],
    methods: Iterable[str],
    name: str | None,
    options: dict[str, Any],
) -> _PendingRoute:
    if "tags" in options:
        options["tags"] = tuple(options["tags"])
    try:
        route_options = RouteOptions(**options)
    except TypeError as exc:
        raise ImproperlyConfigured(f"route {path!r}: {exc}") from None
    return _PendingRoute(
        path,
        endpoint,
        normalize_methods(methods, path),
        name or _default_name(endpoint),
        name is not None,
        (),
        route_options,
    )


def _pending_websocket(
    path: str, handler: Callable[..., Awaitable[None]], name: str | None
) -> _PendingRoute:
    # NOTE: a WebSocket route is named only when a name is given.
    return _PendingRoute(path, handler, ("GET",), name, name is not None, (), websocket=True)


class _RouteDecorators:
    """The route-registering decorators shared by :class:`App` and :class:`RouteGroup`.

    Every decorator takes the route options of :class:`~fastcore.handlers.RouteOptions`
    as keywords: ``response_model``, ``status_code``, ``headers``, ``tags``,
    ``summary``, ``description``, ``include_in_schema``, ``deprecated``,
    ``operation_id``, ``responses`` and ``security``.
    """

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        **options: Any,
    ) -> None:
        """Register ``endpoint`` for ``path`` and ``methods`` (implemented by subclasses)."""
        raise NotImplementedError

    def add_websocket(
        self, path: str, handler: Callable[..., Awaitable[None]], name: str | None = None
    ) -> None:
        """Register a WebSocket ``handler`` for ``path`` (implemented by subclasses)."""
        raise NotImplementedError

    def websocket(self, path: str, name: str | None = None) -> Callable[[F], F]:
        """Register an ``async def`` WebSocket handler for ``path`` (a decorator).

        The handler's parameters are bound by annotation and name: the
        ``WebSocket`` (:class:`fastcore.realtime.WebSocket`), then, as for a
        GET handler, typed path parameters (``"/ws/{id:int}"``), the
        handshake's :class:`~fastcore.requests.Request`, query parameters,
        headers, cookies, the current user and ``Depends`` providers. The
        App's middleware (and the group's) run around it. See
        :mod:`fastcore.realtime.websocket`.

        Example::

            @app.websocket("/ws/{room}")
            async def chat(ws: WebSocket, room: str):
                await ws.accept()
                async for message in ws:
                    await ws.send_text(message)
        """

        def decorator(handler: F) -> F:
            self.add_websocket(path, handler, name)
            return handler

        return decorator

    def route(
        self,
        path: str,
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        **options: Any,
    ) -> Callable[[F], F]:
        """Register the decorated handler for ``path`` and the given methods."""

        def decorator(endpoint: F) -> F:
            self.add_route(path, endpoint, methods, name, **options)
            return endpoint

        return decorator

    def get(self, path: str, name: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register a GET handler (also answering HEAD)."""
        return self.route(path, ("GET",), name, **options)

    def post(self, path: str, name: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register a POST handler."""
        return self.route(path, ("POST",), name, **options)

    def put(self, path: str, name: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register a PUT handler."""
        return self.route(path, ("PUT",), name, **options)

    def patch(self, path: str, name: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register a PATCH handler."""
        return self.route(path, ("PATCH",), name, **options)

    def delete(self, path: str, name: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register a DELETE handler."""
        return self.route(path, ("DELETE",), name, **options)

    def head(self, path: str, name: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register a HEAD handler (GET routes already answer HEAD)."""
        return self.route(path, ("HEAD",), name, **options)

    def options(self, path: str, name: str | None = None, **options: Any) -> Callable[[F], F]:
        """Register an OPTIONS handler (otherwise OPTIONS is answered with ``Allow``)."""
        return self.route(path, ("OPTIONS",), name, **options)


class RouteGroup(_RouteDecorators):
    """A group of routes under a prefix, with a name prefix and its own middleware.

    Like a Flask blueprint::

        api = RouteGroup("/api", name="api")

        @api.get("/items")
        async def items(): ...

        app.include(api)      # GET /api/items, url_for("api.items")

    Args:
        prefix: The path prefix of every route in the group ("" for none).
        name: The prefix of the group's route names (``"api"`` → ``"api.items"``).
        middleware: Middleware classes (or ``(cls, options)`` pairs) that wrap
            only this group's handlers, inside the App's middleware.
    """

    def __init__(
        self,
        prefix: str = "",
        *,
        name: str | None = None,
        middleware: Iterable[type[Any] | tuple[type[Any], dict[str, Any]]] = (),
    ) -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ImproperlyConfigured(
                f"group prefix {prefix!r} must start with '/' and not end with '/'"
            )
        self.prefix = prefix
        self.name = name
        self.middleware = [_as_spec(item) for item in middleware]
        self.routes: list[_PendingRoute] = []

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        **options: Any,
    ) -> None:
        """Register ``endpoint`` for ``path`` (relative to the group prefix)."""
        self.routes.append(_pending(path, endpoint, methods, name, options))

    def add_websocket(
        self, path: str, handler: Callable[..., Awaitable[None]], name: str | None = None
    ) -> None:
        """Register a WebSocket ``handler`` for ``path`` (relative to the group prefix)."""
        self.routes.append(_pending_websocket(path, handler, name))

    def add_middleware(self, cls: type[Any], **options: Any) -> None:
        """Wrap this group's handlers in a middleware (added innermost)."""
        self.middleware.append(MiddlewareSpec(cls, options))

    def include(self, group: RouteGroup) -> None:
        """Nest another group inside this one (prefixes and names are joined)."""
        for route in group._flatten():
            self.routes.append(route)

    def _flatten(self) -> list[_PendingRoute]:
        """The group's routes with its prefix, name and middleware applied."""
        result = []
        for route in self.routes:
            name = route.name
            if name is not None and self.name:
                name = f"{self.name}.{name}"
            result.append(
                route._replace(
                    path=self.prefix + route.path,
                    name=name,
                    middleware=tuple(self.middleware) + route.middleware,
                )
            )
        return result


def _as_spec(item: type[Any] | tuple[type[Any], dict[str, Any]] | MiddlewareSpec) -> MiddlewareSpec:
    if isinstance(item, MiddlewareSpec):
        return item
    if isinstance(item, tuple):
        cls, options = item
        return MiddlewareSpec(cls, dict(options))
    return MiddlewareSpec(item, {})


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


class App(_RouteDecorators):
    """A fastcore application, without batteries.

    ``from fastcore import App`` gives :class:`fastcore.batteries.App`: this
    class with templates, OpenAPI, the default security stack and ``run``.
    Use this one for an app that installs only the extensions it names.

    Args:
        settings: The settings; by default read from ``FASTCORE_*`` variables.
        debug: Shortcut for ``settings.debug``.
        redirect_slashes: Shortcut for ``settings.redirect_slashes``.
        middleware: Middleware classes or ``(cls, options)`` pairs, outermost first.
        lifespan: An async context manager factory ``lifespan(app)`` wrapping
            the app's life (code before ``yield`` runs at startup).
        on_startup: Callables (sync or async) run at startup, in order.
        on_shutdown: Callables run at shutdown, in order.
        extensions: Extensions to install, in order (see :meth:`install`).

    Example::

        app = App()

        @app.get("/users/{user_id:int}")
        async def show_user(request: Request, user_id: int):
            return {"id": user_id}
    """

    #: The class the server instantiates for each request.
    request_class: type[Request] = Request

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        debug: bool | None = None,
        redirect_slashes: bool | None = None,
        middleware: Iterable[type[Any] | tuple[type[Any], dict[str, Any]]] = (),
        lifespan: Lifespan | None = None,
        on_startup: Iterable[Hook] = (),
        on_shutdown: Iterable[Hook] = (),
        extensions: Iterable[Extension] = (),
    ) -> None:
        overrides: dict[str, Any] = {}
        if debug is not None:
            overrides["debug"] = debug
        if redirect_slashes is not None:
            overrides["redirect_slashes"] = redirect_slashes
        if settings is None:
            settings = Settings.from_env(**overrides)
        else:
            for key, value in overrides.items():
                setattr(settings, key, value)
        self.settings = settings
        self.router = Router(redirect_slashes=settings.redirect_slashes)
        #: The WebSocket routes: a route kind of their own, matched only for
        #: a WebSocket handshake (see :meth:`add_websocket_route`).
        self.websocket_router = Router()
        self.errors = ErrorHandlers(debug=settings.debug)
        self.middleware = [_as_spec(item) for item in middleware]
        self.lifespan = lifespan
        self.startup_hooks = list(on_startup)
        self.shutdown_hooks = list(on_shutdown)
        self._names: set[str] = set()
        self._dispatch: Dispatch | None = None
        self._websocket_chain: ChainRunner | None = None
        self._lifespan_stack: contextlib.AsyncExitStack | None = None
        self.state_started = False
        #: True while the server drains this app (SIGTERM, a rolling restart):
        #: readiness (:mod:`fastcore.health`) answers 503 so that a load
        #: balancer stops sending requests. The bundled server sets it.
        self.draining = False
        #: Installed extensions by name (their per-app state; see :meth:`install`).
        self.extensions: dict[str, Extension] = {}
        #: Template filters, globals and tests the template engine adds to its own.
        self.template_filters: dict[str, Callable[..., Any]] = {}
        self.template_globals: dict[str, Any] = {}
        self.template_tests: dict[str, Callable[..., Any]] = {}
        self.checks: list[Check] = [missing_extensions]
        #: Checks that only ``fastcore check --deploy`` runs (production settings).
        self.deploy_checks: list[Check] = []
        self._request_attributes: dict[str, Callable[[Request], Any]] = {}
        # A validation failure answers 422 with its error list unless the
        # user registers a handler of their own.
        self.errors.register(RequestValidationError, validation_error_response)
        for extension in extensions:
            self.install(extension)

    @property
    def debug(self) -> bool:
        """Whether the app runs in debug mode."""
        return self.settings.debug

    # -- routes --------------------------------------------------------------

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        **options: Any,
    ) -> None:
        """Register ``endpoint`` for ``path`` and ``methods``.

        The route's name defaults to the handler's ``__name__`` (the first route
        to claim a default name keeps it); an explicit duplicate name is an error.
        ``options`` are :class:`~fastcore.handlers.RouteOptions` fields.
        """
        self._add(_pending(path, endpoint, methods, name, options))

    def include(self, group: RouteGroup) -> None:
        """Add every route of a :class:`RouteGroup` (with its prefix and names)."""
        for route in group._flatten():
            self._add(route)

    def add_websocket(
        self, path: str, handler: Callable[..., Awaitable[None]], name: str | None = None
    ) -> None:
        """Register a WebSocket ``handler`` for ``path`` (see :meth:`websocket`)."""
        self._add(_pending_websocket(path, handler, name))

    def websocket_handler_endpoint(
        self, handler: Callable[..., Awaitable[None]], path_params: dict[str, type], pattern: str
    ) -> WebSocketEndpoint:
        """Wrap a WebSocket handler into an endpoint (the realtime battery provides this).

        :class:`fastcore.App` overrides it with
        :func:`fastcore.realtime.websocket.websocket_endpoint`; this core App
        has no WebSocket API of its own (only :meth:`add_websocket_route`).
        """
        raise ImproperlyConfigured(
            f"WebSocket route {pattern!r}: WebSocket handlers need the realtime battery "
            "(use `from fastcore import App`)"
        )

    def _add(self, pending: _PendingRoute) -> None:
        if self._dispatch is not None:
            raise ImproperlyConfigured(
                f"cannot add route {pending.path!r}: the app has started and its routes are frozen"
            )
        if pending.websocket:
            self._add_websocket(pending)
            return
        name = pending.name
        if name is not None and name in self._names and not pending.name_given:
            name = None  # a default name already taken: the route stays unnamed
        plan = _LazyPlan(pending.endpoint)
        route = self.router.add(pending.path, plan, methods=pending.methods, name=name)
        plan.bind(route.param_types, pending.options)
        if pending.middleware:
            plan.wrap(pending.middleware)
        if name is not None:
            self._names.add(name)

    def add_websocket_route(
        self, path: str, endpoint: WebSocketEndpoint, name: str | None = None
    ) -> Route:
        """Register ``endpoint`` for WebSocket handshakes on ``path``.

        ``endpoint(request, connection)`` is awaited for each handshake whose
        path matches (with ``request.path_params`` converted by the pattern's
        converters, as for HTTP routes); ``connection`` is the server's
        WebSocket connection (see :class:`fastcore.types.WebSocketConnection`),
        not accepted yet. This is the low-level hook: ``@app.websocket(path)``
        of :class:`fastcore.App` (the realtime battery) wraps a handler into
        such an endpoint. Returns the registered route.
        """
        if self._dispatch is not None:
            raise ImproperlyConfigured(
                f"cannot add WebSocket route {path!r}: the app has started, its routes are frozen"
            )
        return self.websocket_router.add(path, endpoint, methods=("GET",), name=name)

    def _add_websocket(self, pending: _PendingRoute) -> None:
        route = self.add_websocket_route(pending.path, _unbound_websocket, name=pending.name)
        endpoint = self.websocket_handler_endpoint(
            pending.endpoint, route.param_types, route.pattern
        )
        if pending.middleware:
            # The group's middleware, inside the App's (see websocket_middleware).
            endpoint = _through(websocket_chain(pending.middleware, self.errors.respond), endpoint)
        route.endpoint = endpoint

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the path of the route called ``name`` with ``params`` encoded."""
        try:
            return self.router.url_for(name, **params)
        except URLBuildError:
            if name in self._names:
                raise
            return self.websocket_router.url_for(name, **params)

    _dependency_overrides: dict[Callable[..., Any], Callable[..., Any]]

    @property
    def dependency_overrides(self) -> dict[Callable[..., Any], Callable[..., Any]]:
        """Replacement providers by original (``Depends``), for tests."""
        try:
            return self._dependency_overrides
        except AttributeError:
            self._dependency_overrides = {}
            return self._dependency_overrides

    # -- extensions ----------------------------------------------------------

    def install(self, extension: E) -> E:
        """Install an extension: record it in :attr:`extensions` and call its ``init_app``.

        Installing the same object twice does nothing; another extension
        under a name already taken is an error. Returns the extension.

        An extension installed once the app has started (templates on first
        render, say) gets no ``finalize`` calls, and its ``init_app`` may not
        add routes or middleware any more (those raise).

        Raises:
            ImproperlyConfigured: the name is empty or taken.
        """
        if not isinstance(extension, Extension):
            raise ImproperlyConfigured(
                f"{extension!r} is not an extension (subclass fastcore.extensions.Extension)"
            )
        name = extension.name
        if not name:
            raise ImproperlyConfigured(f"extension {type(extension).__qualname__} has no name")
        installed = self.extensions.get(name)
        if installed is extension:
            return extension
        if installed is not None:
            raise ImproperlyConfigured(
                f"extension name {name!r} is taken by {installed!r}; give one of them another name"
            )
        self.extensions[name] = extension
        extension.init_app(self)
        return extension

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a template filter (``{{ x|name }}``)."""
        return _registering(self.template_filters, name)

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a template global (``{{ name() }}``)."""
        return _registering(self.template_globals, name)

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function as a template test (``{% if x is name %}``)."""
        return _registering(self.template_tests, name)

    def add_check(self, check: Check, *, deploy: bool = False) -> None:
        """Run ``check(app)`` when the app is built; its errors stop the app starting.

        With ``deploy=True`` the check runs only in ``fastcore check --deploy``:
        it judges production settings (debug, keys, https, the database), which
        development rightly leaves unset.
        """
        (self.deploy_checks if deploy else self.checks).append(check)

    def run_checks(self, *, deploy: bool = False) -> list[CheckMessage]:
        """Run every startup check and return their findings (``fastcore check``).

        ``deploy=True`` runs the deployment checks as well (``fastcore check --deploy``).
        """
        checks = [*self.checks, *self.deploy_checks] if deploy else self.checks
        return [message for check in checks for message in check(self)]

    def add_request_attribute(self, name: str, factory: Callable[[Request], Any]) -> None:
        """Give every request an attribute ``name``, made by ``factory(request)`` on first read.

        Nothing runs for a request that never reads it. The name must not be
        one the request already has.

        Raises:
            ImproperlyConfigured: the name is taken or not an identifier, or
                the app has started.
        """
        if self._dispatch is not None:
            raise ImproperlyConfigured(
                f"cannot add request attribute {name!r}: the app has started"
            )
        if not name.isidentifier() or hasattr(self.request_class, name):
            raise ImproperlyConfigured(f"request attribute {name!r} is taken or not a name")
        if name in self._request_attributes:
            raise ImproperlyConfigured(f"request attribute {name!r} is already added")
        self._request_attributes[name] = factory

    # -- middleware, errors, lifespan -----------------------------------------

    def add_middleware(self, cls: type[Any], **options: Any) -> None:
        """Add a middleware class; the first added is the outermost."""
        if self._dispatch is not None:
            raise ImproperlyConfigured("cannot add middleware after the app has started")
        self.middleware.append(MiddlewareSpec(cls, options))

    def middleware_function(
        self, func: Callable[[Request, Handler], Awaitable[Response]]
    ) -> Callable[[Request, Handler], Awaitable[Response]]:
        """Register ``async def mw(request, call_next)`` as a middleware (decorator)."""
        self.add_middleware(FunctionMiddleware, dispatch=func)
        return func

    def exception_handler(
        self, key: type[BaseException] | int
    ) -> Callable[[ExceptionHandler], ExceptionHandler]:
        """Register a handler ``(request, exc) -> Response`` for an exception class or status."""

        def decorator(handler: ExceptionHandler) -> ExceptionHandler:
            self.errors.register(key, handler)
            return handler

        return decorator

    def on_startup(self, hook: Hook) -> Hook:
        """Run ``hook`` (sync or async) when the app starts (decorator)."""
        self.startup_hooks.append(hook)
        return hook

    def on_shutdown(self, hook: Hook) -> Hook:
        """Run ``hook`` (sync or async) when the app stops (decorator)."""
        self.shutdown_hooks.append(hook)
        return hook

    async def startup(self) -> None:
        """Enter the lifespan, run the startup hooks and freeze the routes."""
        if self.state_started:
            return
        stack = contextlib.AsyncExitStack()
        if self.lifespan is not None:
            await stack.enter_async_context(self.lifespan(self))
        self._lifespan_stack = stack
        configure_threadpool(self.settings.threadpool_size)
        try:
            for hook in self.startup_hooks:
                await _maybe_await(hook())
            self.build_dispatch()
        except BaseException:
            # A hook that ran may hold resources (a database pool, say): a
            # failed start releases them as a stop would, then re-raises.
            self.state_started = True
            await self.shutdown()
            raise
        self.state_started = True

    async def shutdown(self) -> None:
        """Run the shutdown hooks, then leave the lifespan."""
        if not self.state_started:
            return
        self.state_started = False
        try:
            for hook in self.shutdown_hooks:
                await _maybe_await(hook())
        finally:
            if self._lifespan_stack is not None:
                await self._lifespan_stack.aclose()
                self._lifespan_stack = None

    # -- building --------------------------------------------------------------

    def freeze_routes(self) -> None:
        """Let the extensions add their last routes, then freeze the router.

        Calling it again does nothing. :meth:`build_dispatch` starts with it;
        ``fastcore routes`` stops there, so listing routes needs none of the
        serving configuration (secret key, allowed hosts).
        """
        if not self.router.frozen:
            for extension in list(self.extensions.values()):
                extension.finalize_routes(self)
            self.router.freeze()
            self.websocket_router.freeze()

    def build_dispatch(self) -> Dispatch:
        """Freeze the routes, finalize the extensions, run the checks, build the pipeline.

        Returns the per-request callable the server calls (built once).

        Raises:
            ImproperlyConfigured: an extension or a startup check refuses the
                configuration (every failed check is named).
        """
        if self._dispatch is not None:
            return self._dispatch
        self.freeze_routes()
        for extension in list(self.extensions.values()):
            extension.finalize(self)
        enforce(self.run_checks(), what="the app's startup checks failed")
        if self._request_attributes:
            self.request_class = with_request_attributes(
                self.request_class, self._request_attributes
            )
        matcher = RouteMatcher(self.router.match)
        routed = self._routed_handler(matcher)
        if not self.middleware:
            self._dispatch = self._open_dispatch(routed, matcher, chain=None)
            return self._dispatch
        chain: Handler = routed
        for spec in reversed(self.middleware):
            chain = spec.build(chain)
        respond = self.errors.respond
        app = self

        async def dispatch(request: Request) -> Response:
            request.app = app
            try:
                return await chain(request)
            except Exception as exc:
                return await respond(request, exc)

        # The App's only middleware may offer its steps compiled (the default
        # security stack does): the server then runs them around the handler.
        gate = getattr(chain, "gate", None) if len(self.middleware) == 1 else None
        self._dispatch = self._open_dispatch(
            dispatch, matcher, chain=chain, gate=gate if isinstance(gate, Gate) else None
        )
        return self._dispatch

    def _routed_handler(self, matcher: RouteMatcher) -> Dispatch:
        match_request = matcher.match_request
        respond = self.errors.respond
        app = self

        async def routed(request: Request) -> Response:
            request.app = app
            try:
                found = match_request(request)
                if found.status == 200:
                    plan = found.endpoint
                    request.route = found.route
                    request.path_params = params = found.params
                    if plan is None:  # OPTIONS on a path with no OPTIONS route
                        allow = ", ".join(found.allowed)
                        return Response(status_code=204, headers={"allow": allow})
                    result = await plan.invoke(request, params)
                    return result if isinstance(result, Response) else to_response(result)
                if found.status == 405:
                    raise MethodNotAllowed(found.allowed)
                if found.status in (301, 302, 307, 308) and found.redirect_to:
                    target = found.redirect_to
                    if request.query_string:
                        target += "?" + request.query_string
                    return RedirectResponse(target, status_code=found.status)
                raise NotFound()
            except Exception as exc:
                return await respond(request, exc)

        return routed

    def _open_dispatch(
        self,
        dispatch: Dispatch,
        matcher: RouteMatcher,
        *,
        chain: Handler | None,
        gate: Gate | None = None,
    ) -> Dispatch:
        """``dispatch`` with its routing open to the connection protocol.

        Without ``chain`` (no middleware, ``dispatch`` is ``routed``) the
        protocol matches the route and calls the handler itself (no coroutine
        of ours around the handler's); requests that are not a plain match,
        and every other caller, go through ``dispatch``. With it the protocol
        calls the middleware ``chain`` itself, answering its errors as
        ``dispatch`` would, and reads the route to tell whether the request
        may start outside an asyncio Task (see ``HandlerPlan.inline``). With
        ``gate`` (the compiled steps of the only middleware) the protocol runs
        those around a handler it calls itself, and the chain for the
        requests the gate turns down.
        """
        respond = self.errors.respond

        async def finish(request: Request, pending: Awaitable[Any]) -> Response:
            # The end of `routed`, for a handler that suspended in its first step.
            try:
                result = await pending
                return result if isinstance(result, Response) else to_response(result)
            except Exception as exc:
                return await respond(request, exc)

        routed_dispatch = RoutedDispatch(
            dispatch,
            matcher,
            self,
            finish,
            respond,
            to_response,
            Response,
            direct=chain is None,
            chain_inline=all(spec.inline_safe for spec in self.middleware),
            errors_inline=self.errors.inline,
            chain=chain,
            gate=gate,
        )
        if self.websocket_router.routes:
            if self.middleware:
                self._websocket_chain = websocket_chain(self.middleware, respond)
            routed_dispatch.websocket = self.serve_websocket
        return routed_dispatch

    async def serve_websocket(self, request: Request, connection: WebSocketConnection) -> None:
        """Route a WebSocket handshake to its endpoint (the servers call this).

        The App's middleware runs around the endpoint (see
        :mod:`fastcore.websocket_middleware`). No route for the path refuses
        the handshake with 404; an exception before the handshake is
        answered is answered by the App's error handlers (the handshake is
        refused with that status), one after it is logged and closes the
        connection with 1011 (internal error).
        """
        request.app = self
        found = self.websocket_router.match("GET", request.path)
        if found.status != 200 or found.endpoint is None:
            connection.reject(404, b"Not Found")
            return
        request.route = found.route
        request.path_params = found.params
        try:
            if self._websocket_chain is None:
                await found.endpoint(request, connection)
            else:
                await self._websocket_chain(request, connection, found.endpoint)
        except Exception as exc:
            if connection.state == 0:
                refuse_with(connection, await self.errors.respond(request, exc))
            else:
                _log.exception("error in the WebSocket endpoint of %s", request.path)
                connection.close(1011, "internal error")

    # -- ASGI ----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the app as an ASGI 3 application (uvicorn, granian, hypercorn)."""
        from fastcore.asgi_app import handle_asgi

        await handle_asgi(self, scope, receive, send)


async def _unbound_websocket(request: Request, connection: WebSocketConnection) -> None:
    raise RuntimeError("replaced as soon as the route is registered")  # pragma: no cover


def _through(run: ChainRunner, endpoint: WebSocketEndpoint) -> WebSocketEndpoint:
    async def grouped(request: Request, connection: WebSocketConnection) -> None:
        await run(request, connection, endpoint)

    return grouped


def _registering(registry: dict[str, Any], name: str | None) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        registry[name or func.__name__] = func
        return func

    return decorator


class _LazyPlan:
    """The router's endpoint for one route: a HandlerPlan bound once the route is parsed."""

    __slots__ = ("direct_call", "endpoint", "inline", "invoke", "plan")

    def __init__(self, endpoint: Callable[..., Any]) -> None:
        self.endpoint = endpoint
        self.invoke: Callable[[Request, dict[str, Any]], Awaitable[Any]]
        self.plan: HandlerPlan
        #: The handler the protocol may call in place of ``invoke`` (see
        #: HandlerPlan.direct_call); None once group middleware wraps it.
        self.direct_call: tuple[Callable[..., Any], bool] | None = None
        #: Whether the server may start this route outside an asyncio Task
        #: (see HandlerPlan.inline); the protocol reads it.
        self.inline = False

    def bind(self, path_params: dict[str, type], options: RouteOptions) -> None:
        self.plan = HandlerPlan(self.endpoint, path_params, options)
        self.invoke = self.plan.invoke
        self.direct_call = self.plan.direct_call
        self.inline = self.plan.inline

    def wrap(self, middleware: tuple[MiddlewareSpec, ...]) -> None:
        """Put the group's middleware between the router and this handler."""
        invoke = self.invoke

        async def terminal(request: Request) -> Response:
            result = await invoke(request, request.path_params)
            return result if isinstance(result, Response) else to_response(result)

        chain: Handler = terminal
        for spec in reversed(middleware):
            chain = spec.build(chain)
        self.invoke = lambda request, params: chain(request)
        self.direct_call = None
        self.inline = self.inline and all(spec.inline_safe for spec in middleware)

    def __repr__(self) -> str:
        return f"<handler {getattr(self.endpoint, '__qualname__', self.endpoint)!r}>"
