"""The App: routes, route groups, middleware, error handlers, lifespan and rendering.

An App is built up by decorators at import time and frozen at startup, when
:meth:`App.build_dispatch` turns it into one callable the server calls per
request: route, call the handler, convert its return value, map exceptions.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from fastcore._speedups.protocol import Gate, RoutedDispatch, RouteMatcher
from fastcore.binding import RequestValidationError
from fastcore.concurrency import configure_threadpool
from fastcore.config import Settings
from fastcore.exceptions import ImproperlyConfigured, MethodNotAllowed, NotFound
from fastcore.handlers import HandlerPlan, RouteOptions, to_response
from fastcore.middleware.base import FunctionMiddleware, Handler, MiddlewareSpec
from fastcore.middleware.errors import ErrorHandlers, ExceptionHandler
from fastcore.openapi import OpenAPIConfig, validation_error_response
from fastcore.requests import Request
from fastcore.responses import HTMLResponse, RedirectResponse, Response
from fastcore.routing import Router

if TYPE_CHECKING:
    from fastcore.templating import Environment
    from fastcore.types import Dispatch, Receive, Scope, Send

__all__ = ["App", "RouteGroup"]

F = TypeVar("F", bound=Callable[..., Any])
Lifespan = Callable[["App"], contextlib.AbstractAsyncContextManager[Any]]
Hook = Callable[[], Any]


class _PendingRoute(NamedTuple):
    path: str
    endpoint: Callable[..., Any]
    methods: tuple[str, ...]
    name: str | None
    name_given: bool
    middleware: tuple[MiddlewareSpec, ...]
    options: RouteOptions = RouteOptions()


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
        _normalize_methods(methods),
        name or _default_name(endpoint),
        name is not None,
        (),
        route_options,
    )


def _normalize_methods(methods: Iterable[str]) -> tuple[str, ...]:
    if isinstance(methods, str):
        methods = [methods]
    normalized = tuple(dict.fromkeys(method.upper() for method in methods))
    if not normalized:
        raise ImproperlyConfigured("a route needs at least one method")
    return normalized


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
    """A fastcore application.

    Args:
        settings: The settings; by default read from ``FASTCORE_*`` variables.
        debug: Shortcut for ``settings.debug``.
        redirect_slashes: Shortcut for ``settings.redirect_slashes``.
        middleware: Middleware classes or ``(cls, options)`` pairs, outermost first.
        lifespan: An async context manager factory ``lifespan(app)`` wrapping
            the app's life (code before ``yield`` runs at startup).
        on_startup: Callables (sync or async) run at startup, in order.
        on_shutdown: Callables run at shutdown, in order.
        security: The default security stack (trusted hosts, security
            headers, sessions, CSRF, body and rate limits; see
            :mod:`fastcore.security.defaults`). None (the default) installs it
            for HTML apps (a template folder exists) from the settings
            (``FASTCORE_SECRET_KEY``, ``FASTCORE_ALLOWED_HOSTS``); True for
            any app; False never (APIs, benchmarks). Middleware of that stack
            listed in ``middleware`` replaces it, so nothing runs twice. In
            production a missing key or host list fails at startup.

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
        security: bool | None = None,
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
        self.errors = ErrorHandlers(debug=settings.debug)
        self.middleware = [_as_spec(item) for item in middleware]
        self.security = security
        self.lifespan = lifespan
        self.startup_hooks = list(on_startup)
        self.shutdown_hooks = list(on_shutdown)
        self._names: set[str] = set()
        self._dispatch: Dispatch | None = None
        self._templates: Environment | None = None
        self._lifespan_stack: contextlib.AsyncExitStack | None = None
        self.state_started = False

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

    def _add(self, pending: _PendingRoute) -> None:
        if self._dispatch is not None:
            raise ImproperlyConfigured(
                f"cannot add route {pending.path!r}: the app has started and its routes are frozen"
            )
        name = pending.name
        if name is not None and name in self._names and not pending.name_given:
            name = None  # a default name already taken: the route stays unnamed
        plan = _LazyPlan(pending.endpoint)
        route = self.router.add(pending.path, plan, methods=pending.methods, name=name)
        plan.bind(route.param_types, pending.options)
        if RequestValidationError not in self.errors.by_class:
            self.errors.register(RequestValidationError, validation_error_response)
        if pending.middleware:
            plan.wrap(pending.middleware)
        if name is not None:
            self._names.add(name)

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the path of the route called ``name`` with ``params`` encoded."""
        return self.router.url_for(name, **params)

    _dependency_overrides: dict[Callable[..., Any], Callable[..., Any]]
    _openapi: OpenAPIConfig

    @property
    def dependency_overrides(self) -> dict[Callable[..., Any], Callable[..., Any]]:
        """Replacement providers by original (``Depends``), for tests."""
        try:
            return self._dependency_overrides
        except AttributeError:
            self._dependency_overrides = {}
            return self._dependency_overrides

    @property
    def openapi(self) -> OpenAPIConfig:
        """The OpenAPI document and docs pages settings (set before the app starts)."""
        try:
            return self._openapi
        except AttributeError:
            self._openapi = OpenAPIConfig()
            return self._openapi

    @openapi.setter
    def openapi(self, config: OpenAPIConfig) -> None:
        self._openapi = config

    def openapi_schema(self) -> dict[str, Any]:
        """The app's OpenAPI 3.1 document (built once, after the routes are frozen)."""
        return self.openapi.document(self)

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
        for hook in self.startup_hooks:
            await _maybe_await(hook())
        self.build_dispatch()
        self.state_started = True

    def _install_security(self) -> None:
        """Put the default security stack outermost when ``security`` asks for it."""
        if self.security is False:
            return  # nothing to import, build or check
        from fastcore.security.defaults import security_middleware_for

        self.middleware[:0] = security_middleware_for(self, self.security)

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

    # -- templates -----------------------------------------------------------

    @property
    def templates(self) -> Environment:
        """The template environment (loads from ``settings.template_folders``)."""
        if self._templates is None:
            from fastcore.templating import Environment, FileSystemLoader

            self._templates = Environment(
                loader=FileSystemLoader(self.settings.template_folders),
                auto_reload=self.debug,
            )
            self._templates.globals["url_for"] = self.url_for
        return self._templates

    def render(
        self,
        template_name: str,
        /,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """Render a template into an HTML response."""
        body = self.templates.get_template(template_name).render(context)
        return HTMLResponse(body, status_code=status_code, headers=headers)

    # -- running -------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        workers: int | None = None,
        access_log: bool = False,
        **server_options: Any,
    ) -> None:
        """Serve the app on the bundled server (blocks until stopped).

        ``server_options`` are :class:`fastcore.server.ServerConfig` fields,
        such as ``keep_alive_timeout=10`` or ``eager_dispatch=False``.
        """
        from fastcore.server import run

        run(
            self,
            host=host or self.settings.host,
            port=self.settings.port if port is None else port,
            workers=workers or self.settings.workers,
            access_log=access_log,
            **{"max_body": self.settings.max_body_size, **server_options},
        )

    def freeze_routes(self) -> None:
        """Add the OpenAPI routes and freeze the router; calling it again does nothing.

        :meth:`build_dispatch` starts with it; ``fastcore routes`` stops there,
        so listing routes needs none of the serving configuration (secret key,
        allowed hosts).
        """
        if not self.router.frozen:
            self.openapi.install(self)
            self.router.freeze()

    def build_dispatch(self) -> Dispatch:
        """Freeze the routes and build the per-request callable the server calls."""
        if self._dispatch is not None:
            return self._dispatch
        self.freeze_routes()
        self._install_security()
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

        return RoutedDispatch(
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

    # -- ASGI ----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the app as an ASGI 3 application (uvicorn, granian, hypercorn)."""
        from fastcore.asgi import handle_asgi

        await handle_asgi(self, scope, receive, send)


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
