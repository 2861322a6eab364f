"""Continue a coroutine, already started eagerly, inside an asyncio Task.

The Python half of the connection protocol kernel: these must stay Python
generators and coroutines (a compiled coroutine is slower when a Task drives
it), and the kernel imports nothing above the bottom modules, so they live
beside the compiled modules rather than in the server or the core.

The connection protocol drives each handler coroutine synchronously first
(``coro.send(None)``); most handlers finish in that first step and never pay
for a Task. When one really suspends, :func:`resume` wraps it so a Task can
take over from the exact point where it stopped.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, TypeVar

__all__ = ["as_coroutine", "resume"]

T = TypeVar("T")


@types.coroutine
def resume(coro: Coroutine[Any, Any, T], yielded: Any) -> Generator[Any, Any, T]:
    """Hand a suspended coroutine over to the Task that awaits this generator.

    Args:
        coro: A coroutine that already ran up to its first suspension.
        yielded: What that first step yielded (the future it waits for, or
            ``None`` for a bare yield to the event loop).

    Returns:
        The coroutine's return value.
    """
    while True:
        try:
            # Re-yield what the coroutine yielded, so the Task waits on it.
            yield yielded
        except BaseException as exc:
            # Cancellation (or any error the Task throws in) belongs to the
            # coroutine, which may handle it and suspend again.
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            continue
        # NOTE: an asyncio Task always resumes with None, exactly what
        # `yield from` sends first, so the rest runs at full generator speed.
        return (yield from coro)  # type: ignore[no-any-return]


async def as_coroutine(awaitable: Awaitable[T]) -> T:
    """Wrap any awaitable (a Future, a custom object) into a coroutine."""
    return await awaitable
