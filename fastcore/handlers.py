"""Handler adaptation: argument plans, sync/async calls and return values.

Everything about a handler's signature is worked out once, when the route is
registered, into a :class:`HandlerPlan`. A handler that takes only the
request and path parameters is called directly with them; any other handler
gets its arguments from the binders of its :class:`~fastcore.binding.CallPlan`
(query, headers, cookies, body, form, dependencies). What the handler returns
becomes a Response here, through the route's response model if it has one.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from fastcore.background import BackgroundTasks
from fastcore.binding import CallPlan, RequestValidationError, analyze, describe, is_async_callable
from fastcore.concurrency import may_start_inline, run_in_threadpool, runs_without_suspending
from fastcore.dependencies import DependencyPlans, Resolver, fill
from fastcore.exceptions import ImproperlyConfigured
from fastcore.requests import Request
from fastcore.responses import HTMLResponse, JSONResponse, Response, _encode_headers

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "HandlerPlan",
    "RouteOptions",
    "is_async_callable",
    "runs_without_suspending",
    "to_response",
]

Invoker = Callable[[Request, dict[str, Any]], Awaitable[Any]]

_NO_OVERRIDES: dict[Any, Any] = {}


@dataclasses.dataclass(frozen=True, slots=True)
class RouteOptions:
    """What a route declares beyond its handler (response shape and documentation).

    Attributes:
        response_model: The type the return value is validated and filtered
            through, and documented as (a pydantic model, dataclass, TypedDict
            or ``list[...]`` of them).
        status_code: The status of a successful response that is not a Response.
        headers: Headers added to every such response.
        tags: OpenAPI tags.
        summary: The OpenAPI summary (default: the docstring's first line).
        description: The OpenAPI description (default: the rest of the docstring).
        include_in_schema: Whether the route appears in the OpenAPI document.
        deprecated: Mark the operation deprecated in the document.
        operation_id: The OpenAPI operationId (default: the route name).
        responses: Extra OpenAPI response objects, by status code.
        security: OpenAPI security requirements (``[{"cookieAuth": []}]``).
    """

    response_model: Any = None
    status_code: int | None = None
    headers: Mapping[str, str] | None = None
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    include_in_schema: bool = True
    deprecated: bool = False
    operation_id: str | None = None
    responses: Mapping[int | str, Any] | None = None
    security: list[dict[str, list[str]]] | None = None

    @property
    def shapes_response(self) -> bool:
        """Whether return values need more than :func:`to_response`."""
        return bool(self.response_model or self.status_code or self.headers)


class HandlerPlan:
    """How to call one endpoint: its argument plan, its response rules, sync or async.

    Args:
        endpoint: The handler, ``async def`` or ``def`` (run in the thread pool).
        path_params: The route's path parameters and their converted types.
        options: The route's response and documentation options.
    """

    __slots__ = (
        "call_plan",
        "dependencies",
        "direct_call",
        "endpoint",
        "inline",
        "invoke",
        "name",
        "options",
        "render",
    )

    def __init__(
        self,
        endpoint: Callable[..., Any],
        path_params: Mapping[str, type],
        options: RouteOptions | None = None,
    ) -> None:
        if not callable(endpoint):
            raise ImproperlyConfigured(f"route handler {endpoint!r} is not callable")
        self.endpoint = endpoint
        self.name = describe(endpoint)
        self.options = options or RouteOptions()
        self.call_plan: CallPlan = analyze(endpoint, path_params)
        self.dependencies = DependencyPlans(path_params)
        for _, dep in self.call_plan.dependencies:
            self.dependencies.for_marker(dep)
        self.render: Callable[[Any], Response] = _renderer(self.options)
        #: The async handler and whether it takes the request, when calling it
        #: is all ``invoke`` would do: the server then calls it without
        #: invoke's frame. None otherwise.
        self.direct_call: tuple[Callable[..., Any], bool] | None = None
        self.invoke: Invoker = self._plan(path_params)
        plan = self.call_plan
        #: Whether the route's first step may run outside an asyncio Task: it
        #: runs only the framework's code and, of the user's, either a plain
        #: function (in the thread pool) or a coroutine that cannot suspend.
        #: Code that awaits may need the current Task (asyncio.timeout,
        #: anyio, httpx), so the server gives it one from its first step,
        #: unless it is declared free of that (``starts_without_a_task``).
        self.inline: bool = not plan.dependencies and (
            not plan.is_async or may_start_inline(plan.call)
        )

    def _plan(self, path_params: Mapping[str, type]) -> Invoker:
        plan = self.call_plan
        wanted = [p.name for p in plan.params if p.source == "path"]
        accepts_kwargs = plan.accepts_kwargs
        # A path parameter a dependency takes (to load the object) counts as used.
        used = {p.name for p in plan.walk(self.dependencies.for_marker) if p.source == "path"}
        missing = [name for name in path_params if name not in used]
        if missing and not accepts_kwargs:
            raise ImproperlyConfigured(
                f"handler {self.name} does not take the path parameter(s) {', '.join(missing)}"
            )
        if plan.only_path_and_request:
            request_arg = next((p.name for p in plan.params if p.source == "request"), None)
            invoke = _direct_invoker(plan, request_arg, wanted, accepts_kwargs)
            if not self.options.shapes_response:
                self.direct_call = _plain_call(plan, request_arg, wanted, accepts_kwargs)
                return invoke
            render = self.render

            async def shaped(request: Request, params: dict[str, Any]) -> Response:
                return render(await invoke(request, params))

            return shaped
        return self._bound_invoker(accepts_kwargs)

    def _bound_invoker(self, accepts_kwargs: bool) -> Invoker:
        plan, endpoint, render = self.call_plan, self.endpoint, self.render
        dependencies = self.dependencies
        has_dependencies = bool(plan.dependencies)
        has_background = any(p.source == "background" for p in plan.params)
        is_async = plan.is_async
        async_binders = plan.async_binders
        body_binder = plan.body_binder
        sync_binders, path_names = plan.sync_binders, plan.path_names

        async def invoke(request: Request, params: dict[str, Any]) -> Response:
            errors: list[dict[str, Any]] = []
            if not has_dependencies:
                # PERF: no dependencies, no resolver: bind_head() and fill()
                # inline, no call or coroutine of their own (bench/typed).
                kwargs: dict[str, Any] = {}
                for name in path_names:
                    kwargs[name] = params[name]
                for bind in sync_binders:
                    bind(request, params, kwargs, errors)
                if body_binder is not None:
                    body_binder(request, await request.body(), kwargs, errors)
                for bind_async in async_binders:
                    await bind_async(request, kwargs, errors)
                if errors:
                    raise RequestValidationError(errors)
                result = await _call(kwargs, params)
                response = render(result)
            else:
                overrides = getattr(request.app, "_dependency_overrides", _NO_OVERRIDES)
                resolver = Resolver(dependencies, overrides)
                try:
                    kwargs = await fill(plan, request, params, errors, resolver)
                    if errors:
                        raise RequestValidationError(errors)
                    response = render(await _call(kwargs, params))
                except BaseException as exc:
                    await resolver.close(exc)
                    raise
                await resolver.close(None)
            if has_background:
                BackgroundTasks.of(request).start()
            return response

        def _call(kwargs: dict[str, Any], params: dict[str, Any]) -> Awaitable[Any]:
            # A plain function returning the endpoint's awaitable: awaiting it
            # adds no coroutine level of its own.
            if accepts_kwargs:
                kwargs = {**params, **kwargs}
            if is_async:
                return endpoint(**kwargs)  # type: ignore[no-any-return]
            return run_in_threadpool(endpoint, **kwargs)

        return invoke

    def __repr__(self) -> str:
        return f"<HandlerPlan {self.name}>"


def _plain_call(
    plan: CallPlan, request_arg: str | None, wanted: list[str], all_params: bool
) -> tuple[Callable[..., Any], bool] | None:
    """The async handler and whether it takes the request, for the shapes
    whose invoker only calls it (no path parameters, no keyword dict)."""
    if plan.is_async and not wanted and not all_params:
        return plan.call, request_arg is not None
    return None


def _direct_invoker(
    plan: CallPlan, request_arg: str | None, wanted: list[str], all_params: bool
) -> Invoker:
    endpoint = plan.call
    plain = _plain_call(plan, request_arg, wanted, all_params)
    if plain is not None:
        # PERF: the common shapes get a direct call with no keyword dict to build.
        if plain[1]:
            return lambda request, params: endpoint(request)
        return lambda request, params: endpoint()

    def invoke(request: Request, params: dict[str, Any]) -> Awaitable[Any]:
        kwargs = dict(params) if all_params else {name: params[name] for name in wanted}
        if request_arg is not None:
            kwargs[request_arg] = request
        if plan.is_async:
            return endpoint(**kwargs)  # type: ignore[no-any-return]
        return run_in_threadpool(endpoint, **kwargs)

    return invoke


def _renderer(options: RouteOptions) -> Callable[[Any], Response]:
    """The function that turns a handler's return value into the route's Response."""
    if not options.shapes_response:
        return to_response
    model = options.response_model
    adapter: TypeAdapter[Any] | None = None
    if model is not None:
        from pydantic import TypeAdapter

        adapter = TypeAdapter(model)
    exact = model if isinstance(model, type) else None
    status_code = options.status_code
    extra_headers = _encode_headers(options.headers) if options.headers else []

    def render(value: Any) -> Response:
        if isinstance(value, Response):
            return value
        if adapter is not None and not isinstance(value, tuple):
            # No double validation: an instance of the declared model is
            # trusted; anything else is validated once, which also filters it.
            if exact is None or type(value) is not exact:
                value = adapter.validate_python(value, from_attributes=True)
            response = Response(adapter.dump_json(value), media_type="application/json")
        else:
            response = to_response(value)
            if isinstance(value, tuple):
                return response
        if status_code is not None:
            response.status_code = status_code
        if extra_headers:
            response.raw_headers.extend(extra_headers)
        return response

    return render


def to_response(value: Any) -> Response:
    """Turn what a handler returned into a Response.

    ``str`` is HTML (as in Flask), ``bytes`` is an octet stream, ``dict``,
    ``list`` and dataclasses are JSON (orjson), pydantic models are JSON
    (their own serializer, without validating again), ``None`` is 204, and a
    tuple is ``(body, status)`` or ``(body, status, headers)``.
    """
    if isinstance(value, Response):
        return value
    if isinstance(value, str):
        return HTMLResponse(value)
    if isinstance(value, dict | list) or dataclasses.is_dataclass(value):
        return JSONResponse(value)
    if isinstance(value, bytes):
        return Response(value, media_type="application/octet-stream")
    if value is None:
        return Response(status_code=204)
    if isinstance(value, tuple) and 2 <= len(value) <= 3 and isinstance(value[1], int):
        response = to_response(value[0])
        response.status_code = value[1]
        if len(value) == 3:
            for name, header_value in dict(value[2]).items():
                response.headers[name] = header_value
        return response
    # PERF: a pydantic model exists only once pydantic is imported; an app
    # that never uses it never imports it (bench/startup).
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        from pydantic_core import to_json

        return Response(to_json(value), media_type="application/json")
    if hasattr(value, "model_dump"):
        return JSONResponse(value)
    raise TypeError(
        f"a handler returned {type(value).__name__}; return a Response, str, bytes, "
        "dict, list, dataclass, pydantic model, None or a (body, status[, headers]) tuple"
    )
