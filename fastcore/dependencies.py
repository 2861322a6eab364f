"""Dependency injection: resolving ``Depends(provider)`` arguments per request.

Each provider is analysed once per route into a :class:`~fastcore.binding.CallPlan`
(its own arguments are bound like a handler's). Per request a
:class:`Resolver` calls the providers in order, caches each value for the
request, and keeps generator providers open until :meth:`Resolver.close`,
which runs their teardown (with the handler's exception thrown in, if any).
``app.dependency_overrides[provider] = replacement`` swaps a provider, for
tests; the replacement's plan is built on first use and kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from fastcore.binding import CallPlan, Errors, analyze
from fastcore.concurrency import run_in_threadpool
from fastcore.params import Depends
from fastcore.requests import Request

__all__ = ["DependencyPlans", "Resolver", "bind_head", "fill"]

_FAILED: Any = object()


class DependencyPlans:
    """The plans of the providers one route uses (overrides included), built once each."""

    __slots__ = ("_plans", "path_params")

    def __init__(self, path_params: Mapping[str, type]) -> None:
        self.path_params = path_params
        self._plans: dict[Callable[..., Any], CallPlan] = {}

    def plan(self, call: Callable[..., Any]) -> CallPlan:
        """The plan of ``call``, analysed on first use."""
        found = self._plans.get(call)
        if found is None:
            found = self._plans[call] = analyze(call, self.path_params)
            for _, dep in found.dependencies:
                self.plan(dep.dependency)
        return found

    def for_marker(self, dep: Depends) -> CallPlan:
        """The plan of a marker's provider (ignoring overrides)."""
        return self.plan(dep.dependency)


class Resolver:
    """One request's dependency values, cache and pending teardowns."""

    __slots__ = ("cache", "overrides", "plans", "stack")

    def __init__(self, plans: DependencyPlans, overrides: Mapping[Any, Any]) -> None:
        self.plans = plans
        self.overrides = overrides
        self.cache: dict[Callable[..., Any], Any] = {}
        self.stack: contextlib.AsyncExitStack | None = None

    async def resolve(
        self, dep: Depends, request: Request, path: Mapping[str, Any], errors: Errors
    ) -> Any:
        """Call ``dep``'s provider (or its override) once its own arguments are bound."""
        original = dep.dependency
        if dep.use_cache and original in self.cache:
            return self.cache[original]
        call = self.overrides.get(original, original) if self.overrides else original
        plan = self.plans.plan(call)
        own_errors: Errors = []
        kwargs = await fill(plan, request, path, own_errors, self)
        if own_errors:
            errors.extend(own_errors)
            return _FAILED
        if plan.is_generator == "async":
            value = await self._enter().enter_async_context(
                contextlib.asynccontextmanager(call)(**kwargs)
            )
        elif plan.is_generator == "sync":
            value = self._enter().enter_context(contextlib.contextmanager(call)(**kwargs))
        elif plan.is_async:
            value = await call(**kwargs)
        else:
            value = await run_in_threadpool(call, **kwargs)
        if dep.use_cache:
            self.cache[original] = value
        return value

    def _enter(self) -> contextlib.AsyncExitStack:
        if self.stack is None:
            self.stack = contextlib.AsyncExitStack()
        return self.stack

    async def close(self, exc: BaseException | None) -> None:
        """Run the generator providers' teardown, newest first, with ``exc`` thrown in."""
        stack, self.stack = self.stack, None
        if stack is None:
            return
        if exc is None:
            await stack.aclose()
        else:
            await stack.__aexit__(type(exc), exc, exc.__traceback__)


def bind_head(
    plan: CallPlan, request: Request, path: Mapping[str, Any], errors: Errors
) -> dict[str, Any]:
    """Bind what needs no I/O: path, query, headers, cookies, request, user, db."""
    kwargs: dict[str, Any] = {}
    for name in plan.path_names:  # PERF: a loop, not a comprehension (no frame in 3.11)
        kwargs[name] = path[name]
    for bind in plan.sync_binders:
        bind(request, path, kwargs, errors)
    return kwargs


async def fill(
    plan: CallPlan,
    request: Request,
    path: Mapping[str, Any],
    errors: Errors,
    resolver: Resolver | None,
) -> dict[str, Any]:
    """Bind the arguments of ``plan`` from the request; problems go to ``errors``."""
    kwargs = bind_head(plan, request, path, errors)
    if plan.body_binder is not None:
        plan.body_binder(request, await request.body(), kwargs, errors)
    for bind_async in plan.async_binders:
        await bind_async(request, kwargs, errors)
    if resolver is not None:
        for name, dep in plan.dependencies:
            kwargs[name] = await resolver.resolve(dep, request, path, errors)
    return kwargs
