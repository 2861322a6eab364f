"""The ORM's connection pool, safe to wait on in handlers that run outside a Task.

NOTE: the bundled server drives a handler outside any asyncio Task until its
first real suspension (eager dispatch). SQLAlchemy's asyncio pool waits for a
free connection under ``asyncio.timeout()``, which refuses to run there
("Timeout should be used inside a task"), so under load, when every
connection was checked out, a request failed with a 500 instead of waiting.
This pool waits inside a Task (made only then, see
:func:`fastcore.orm.fastpath.in_task`); taking an idle connection costs no
more than before.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import sqlalchemy.util
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

from fastcore.orm.fastpath import in_task

__all__ = ["TaskSafeQueuePool"]

T = TypeVar("T")

# The greenlet bridge is ``await_`` from SQLAlchemy 2.1 on, ``await_only`` before.
_await: Any = getattr(sqlalchemy.util, "await_", None) or sqlalchemy.util.await_only


class _TaskSafeQueue(AsyncAdaptedQueue[ConnectionPoolEntry]):
    def get(self, block: bool = True, timeout: float | None = None) -> ConnectionPoolEntry:
        if not block:
            return self.get_nowait()
        queue = self._queue
        try:
            return queue.get_nowait()  # PERF: an idle connection needs no waiting
        except asyncio.QueueEmpty:
            pass
        try:
            entry: ConnectionPoolEntry = _await(in_task(_get(queue, timeout)))
        except (asyncio.QueueEmpty, TimeoutError) as exc:
            raise Empty() from exc
        return entry


async def _get(queue: asyncio.Queue[T], timeout: float | None) -> T:
    # NOTE: asyncio.timeout rather than wait_for: on Python 3.11 wait_for can
    # drop an item that arrives as the timeout fires (cpython gh-86296), which
    # here would leak a pooled connection.
    async with asyncio.timeout(timeout):
        return await queue.get()


class TaskSafeQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio queue pool, whose waits for a connection run inside a Task."""

    _queue_class = _TaskSafeQueue
