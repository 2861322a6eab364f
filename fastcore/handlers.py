"""Handler adaptation: sync/async endpoints, argument plans and return values.

Everything about a handler's signature is worked out once, when the route is
registered, into a :class:`HandlerPlan`; per request the plan only calls the
endpoint with the request and the router's already-typed path parameters.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, get_type_hints

from fastcore.concurrency import run_in_threadpool
from fastcore.exceptions import ImproperlyConfigured
from fastcore.requests import Request
from fastcore.responses import HTMLResponse, JSONResponse, Response

__all__ = ["HandlerPlan", "is_async_callable", "to_response"]

Invoker = Callable[[Request, dict[str, Any]], Awaitable[Any]]


def is_async_callable(obj: Any) -> bool:
    """Tell whether calling ``obj`` returns an awaitable (functions, partials, __call__)."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj) or (
        callable(obj) and inspect.iscoroutinefunction(getattr(obj, "__call__", None))  # noqa: B004
    )


def _describe(endpoint: Callable[..., Any]) -> str:
    name = getattr(endpoint, "__qualname__", repr(endpoint))
    module = getattr(endpoint, "__module__", None)
    return f"{module}.{name}" if module else name


class HandlerPlan:
    """How to call one endpoint: which arguments it takes and whether it is async.

    Args:
        endpoint: The handler, ``async def`` or ``def`` (run in the thread pool).
        path_params: The names of the route's path parameters.
    """

    __slots__ = ("endpoint", "invoke", "name")

    def __init__(self, endpoint: Callable[..., Any], path_params: Mapping[str, type]) -> None:
        if not callable(endpoint):
            raise ImproperlyConfigured(f"route handler {endpoint!r} is not callable")
        self.endpoint = endpoint
        self.name = _describe(endpoint)
        self.invoke: Invoker = self._plan(endpoint, path_params)

    def _plan(self, endpoint: Callable[..., Any], path_params: Mapping[str, type]) -> Invoker:
        signature = inspect.signature(endpoint)
        try:
            hints = get_type_hints(endpoint)
        except Exception:  # unresolvable forward references: fall back to names
            hints = {}
        request_arg: str | None = None
        wanted: list[str] = []
        for name, param in signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = hints.get(name)
            is_request = isinstance(annotation, type) and issubclass(annotation, Request)
            if is_request or (name == "request" and name not in path_params):
                request_arg = name
            elif name in path_params:
                wanted.append(name)
            elif param.default is param.empty:
                known = ", ".join(path_params) or "none"
                raise ImproperlyConfigured(
                    f"handler {self.name} takes a parameter {name!r} that is neither the "
                    f"request nor a path parameter of its route ({known})"
                )
        missing = [name for name in path_params if name not in wanted]
        accepts_kwargs = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
        if missing and not accepts_kwargs:
            raise ImproperlyConfigured(
                f"handler {self.name} does not take the path parameter(s) {', '.join(missing)}"
            )
        if is_async_callable(endpoint):
            return self._async_invoker(endpoint, request_arg, wanted, accepts_kwargs)
        return self._sync_invoker(endpoint, request_arg, wanted, accepts_kwargs)

    @staticmethod
    def _async_invoker(
        endpoint: Callable[..., Any], request_arg: str | None, wanted: list[str], all_params: bool
    ) -> Invoker:
        # PERF: the common shapes get a direct call with no keyword dict to build.
        if request_arg is not None and not wanted and not all_params:
            return lambda request, params: endpoint(request)
        if request_arg is None and not wanted and not all_params:
            return lambda request, params: endpoint()

        def invoke(request: Request, params: dict[str, Any]) -> Awaitable[Any]:
            kwargs = dict(params) if all_params else {name: params[name] for name in wanted}
            if request_arg is not None:
                kwargs[request_arg] = request
            return endpoint(**kwargs)  # type: ignore[no-any-return]

        return invoke

    @staticmethod
    def _sync_invoker(
        endpoint: Callable[..., Any], request_arg: str | None, wanted: list[str], all_params: bool
    ) -> Invoker:
        def invoke(request: Request, params: dict[str, Any]) -> Awaitable[Any]:
            kwargs = dict(params) if all_params else {name: params[name] for name in wanted}
            if request_arg is not None:
                kwargs[request_arg] = request
            return run_in_threadpool(endpoint, **kwargs)

        return invoke

    def __repr__(self) -> str:
        return f"<HandlerPlan {self.name}>"


def to_response(value: Any) -> Response:
    """Turn what a handler returned into a Response.

    ``str`` is HTML (as in Flask), ``bytes`` is an octet stream, ``dict``,
    ``list`` and dataclasses are JSON, ``None`` is 204, and a tuple is
    ``(body, status)`` or ``(body, status, headers)``.
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
    if hasattr(value, "model_dump"):
        return JSONResponse(value)
    raise TypeError(
        f"a handler returned {type(value).__name__}; return a Response, str, bytes, "
        "dict, list, dataclass, None or a (body, status[, headers]) tuple"
    )
