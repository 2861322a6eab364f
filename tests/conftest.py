"""Suite-wide hooks.

The packaging tests need the sdist and a wheel per supported CPython
(``.ci/build_wheels.py``): minutes of compiling on one core. When they are
collected, the build starts in the background as soon as collection ends, so
it runs on the machine's other core while the rest of the suite runs on this
one; the packaging tests' fixture then finds the wheels built (the script
caches them by source digest, under a lock) or waits for the build to finish.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BUILD_SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "build_wheels.py"
_background: list[subprocess.Popen[bytes]] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    if not any(item.nodeid.startswith("tests/test_packaging.py") for item in session.items):
        return
    _background.append(
        subprocess.Popen(
            [sys.executable, str(BUILD_SCRIPT)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Below the tests' own processes: timing-sensitive tests come first.
            preexec_fn=lambda: os.nice(5),
        )
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    for build in _background:
        if build.poll() is None:
            build.terminate()
        build.wait()
