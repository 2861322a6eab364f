"""Background tasks: work a handler schedules to run after its response is sent.

A handler takes a :class:`BackgroundTasks` argument and adds calls to it::

    @app.post("/signup")
    async def signup(user: NewUser, tasks: BackgroundTasks):
        tasks.add(send_welcome_mail, user.email)
        return {"ok": True}

The tasks start once the handler's response has been handed to the server,
one after the other, in the same process; sync functions run in the thread
pool. A failing task is logged and does not stop the ones after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastcore.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["BackgroundTasks"]

logger = logging.getLogger("fastcore.background")

# Running tasks, referenced so the event loop does not drop them half-way.
_running: set[asyncio.Task[None]] = set()


class BackgroundTasks:
    """Calls to run after the response is sent, in the order they were added."""

    __slots__ = ("_tasks",)

    def __init__(self) -> None:
        self._tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    @classmethod
    def of(cls, request: Request) -> BackgroundTasks:
        """The request's task list, created on first use."""
        values = request.state.__dict__
        tasks: BackgroundTasks | None = values.get("background")
        if tasks is None:
            tasks = values["background"] = cls()
        return tasks

    def add(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Schedule ``func(*args, **kwargs)`` (sync or async) after the response."""
        self._tasks.append((func, args, kwargs))

    add_task = add

    def __len__(self) -> int:
        return len(self._tasks)

    async def run(self) -> None:
        """Run every task in order; log, and go on past, the ones that fail."""
        from fastcore.binding import describe, is_async_callable

        for func, args, kwargs in self._tasks:
            try:
                if is_async_callable(func):
                    await func(*args, **kwargs)
                else:
                    await run_in_threadpool(func, *args, **kwargs)
            except Exception:
                logger.exception("Background task %s failed", describe(func))

    def start(self) -> None:
        """Start running the tasks on the event loop, after the current callback.

        The server writes the response in the same loop iteration that the
        handler returns in, so a task created here starts after the write.
        """
        if not self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self.run())
        _running.add(task)
        task.add_done_callback(_running.discard)
