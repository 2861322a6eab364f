"""``fastcore run --reload``: serve from a child process, restarted on code changes.

The reloader imports no application code itself: it watches the directories
(with watchfiles) and runs ``fastcore run`` without ``--reload`` in a child
process. A change to a ``.py`` or ``.env`` file stops the child (SIGTERM,
then SIGKILL after a few seconds) and starts a new one. A child that fails
(a syntax error, an exception at import) shows its traceback and the
reloader waits for the next change instead of exiting.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from fastcore.server.argv import without_options

__all__ = ["SourceFilter", "run_with_reload"]

logger = logging.getLogger("fastcore.server")

_STOP_GRACE = 5.0

#: Set in the served child's environment: the reloader's pid.
PARENT_ENV = "FASTCORE_RELOADER_PID"


class SourceFilter:
    """Which changed paths restart the server: Python sources and ``.env`` files."""

    ignored_dirs = frozenset(
        {"__pycache__", ".git", ".hg", ".venv", "venv", "node_modules", ".mypy_cache", ".tox"}
    )

    def __call__(self, change: Any, path: str) -> bool:
        """Whether a change to ``path`` restarts the server."""
        parts = Path(path).parts
        if any(part in self.ignored_dirs for part in parts[:-1]):
            return False
        name = parts[-1] if parts else ""
        return name.endswith(".py") or name == ".env" or name.startswith(".env.")


def _without_reload(argv: list[str]) -> list[str]:
    return without_options(argv, flags=["--reload"], valued=["--reload-dir"])


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(_STOP_GRACE)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def run_with_reload(argv: list[str], directories: list[str]) -> int:
    """Run ``fastcore <argv>`` (minus ``--reload``) and restart it on changes.

    Args:
        argv: The command line after the program name (``run app:app ...``).
        directories: The directories to watch, recursively.

    Returns:
        0 once stopped by SIGTERM or SIGINT; 1 when watchfiles is missing.
    """
    try:
        import watchfiles
    except ImportError:
        print(
            "fastcore: error: --reload needs watchfiles (pip install watchfiles)", file=sys.stderr
        )
        return 1
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    command = [sys.executable, "-m", "fastcore.server.cli", *_without_reload(argv)]
    # The child stops with the reloader, however the reloader ends.
    env = dict(os.environ, **{PARENT_ENV: str(os.getpid())})
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    watched = [str(Path(directory).resolve()) for directory in directories]
    logger.info("reloader %d watching %s", os.getpid(), ", ".join(watched))
    child = subprocess.Popen(command, env=env)
    try:
        for changes in watchfiles.watch(
            *watched,
            watch_filter=SourceFilter(),
            stop_event=stop,
            raise_interrupt=False,
            yield_on_timeout=True,
            rust_timeout=500,
        ):
            if stop.is_set():
                break
            if not changes:
                # A timeout tick: say once that a crashed child waits for a fix.
                if child.returncode is None and child.poll() is not None:
                    logger.error(
                        "the server exited with code %s; waiting for a change to restart it",
                        child.returncode,
                    )
                continue
            names = sorted({os.path.relpath(path) for _, path in changes})
            logger.info("changed: %s; restarting", ", ".join(names[:5]))
            _stop(child)
            child = subprocess.Popen(command, env=env)
    finally:
        _stop(child)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
