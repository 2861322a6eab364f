"""Running blocking code (sync handlers, sync iterators) in a bounded thread pool."""

from __future__ import annotations

import asyncio
import contextvars
import dis
import functools
import inspect
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

__all__ = [
    "configure_threadpool",
    "may_start_inline",
    "run_in_threadpool",
    "runs_without_suspending",
    "starts_without_a_task",
]

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_STARTS_WITHOUT_A_TASK = "__fastcore_starts_without_a_task__"

_executor: ThreadPoolExecutor | None = None
_max_workers = int(os.environ.get("FASTCORE_THREADPOOL_SIZE", "40"))


def configure_threadpool(max_workers: int) -> None:
    """Set the size of the pool sync handlers run in (before the first request)."""
    global _executor, _max_workers
    if max_workers < 1:
        raise ValueError("the thread pool needs at least one worker")
    if max_workers == _max_workers:
        return
    _max_workers = max_workers
    if _executor is not None:
        _executor.shutdown(wait=False)
        _executor = None


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(_max_workers, thread_name_prefix="fastcore-sync")
    return _executor


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func`` in the bounded thread pool, keeping the caller's context variables."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, func, *args, **kwargs)
    return await loop.run_in_executor(_get_executor(), call)


# The opcodes through which a coroutine can suspend: await, async for, async with.
_SUSPENDING_OPCODES = frozenset(
    {
        "GET_AWAITABLE",
        "SEND",
        "YIELD_VALUE",
        "YIELD_FROM",
        "BEFORE_ASYNC_WITH",
        "GET_AITER",
        "GET_ANEXT",
        "END_ASYNC_FOR",
    }
)


def runs_without_suspending(call: Callable[..., Any]) -> bool:
    """Whether an ``async def`` can never suspend: its body has no await, async for or with.

    Such a coroutine runs to its end in one step, so the server may run it
    without an asyncio Task. Anything else (a callable object, a function
    returning an awaitable, a coroutine that awaits) may suspend.
    """
    code = getattr(call, "__code__", None)
    if code is None or not inspect.iscoroutinefunction(call):
        return False
    return not any(op.opname in _SUSPENDING_OPCODES for op in dis.get_instructions(code))


def starts_without_a_task(func: F) -> F:
    """Declare that an ``async def`` handler may start outside an asyncio Task.

    For handlers whose awaits are only fastcore's own (:func:`run_in_threadpool`,
    a coroutine of the framework's): nothing in them asks for the current Task
    (``asyncio.timeout``, anyio and httpx do), so the server drives their first
    step inline, as it does a coroutine that cannot suspend, and makes a Task
    only if they do suspend. The static files handler is one.
    """
    setattr(func, _STARTS_WITHOUT_A_TASK, True)
    return func


def may_start_inline(call: Callable[..., Any]) -> bool:
    """Whether the server may start ``call`` without a Task (see :func:`starts_without_a_task`)."""
    return getattr(call, _STARTS_WITHOUT_A_TASK, False) is True or runs_without_suspending(call)
