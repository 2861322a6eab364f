"""An event loop running in a background thread, for synchronous tests.

The pytest plugin runs the app under test, its database transaction and the
live server on one such loop, so that a sync test function can drive all of
them (``loop.run(coroutine)`` from the test's thread) while the live server
keeps serving between the test's steps.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """A uvloop event loop, running forever in a daemon thread until :meth:`close`.

    Args:
        name: The thread's name (shown in tracebacks and thread dumps).
    """

    def __init__(self, name: str = "fastcore-test-loop") -> None:
        import uvloop

        self.loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self._run_forever, name=name, daemon=True)
        self._thread.start()

    def _run_forever(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the loop and wait for its result (or exception).

        Raises:
            RuntimeError: Called from the loop's own thread (it would wait forever).
            TimeoutError: ``timeout`` seconds passed first; the coroutine is cancelled.
        """
        if threading.get_ident() == self._thread.ident:
            coroutine.close()
            raise RuntimeError("LoopThread.run() was called from the loop's own thread")
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"the coroutine did not finish within {timeout} s") from None

    def close(self, timeout: float = 10.0) -> None:
        """Cancel what is still running on the loop, stop it and join its thread."""
        if self.loop.is_closed():
            return
        self.run(_cancel_pending(), timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()


async def _cancel_pending() -> None:
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()
