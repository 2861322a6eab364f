"""Awaiting client libraries that need to run inside an asyncio Task.

NOTE: the server drives a handler coroutine eagerly (``coro.send(None)``)
and only wraps it in a Task once it suspends, so code before the first real
suspension runs outside any Task. ``asyncio.timeout()`` refuses that ("Timeout
should be used inside a task"), and redis-py uses it around every command.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_in_task"]

T = TypeVar("T")


async def run_in_task(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` inside a Task: directly when already in one, else in a new one."""
    if asyncio.current_task() is not None:
        return await coro
    return await asyncio.ensure_future(coro)
