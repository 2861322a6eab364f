"""What every variant's process reports to the runner: its module count and peak RSS.

Only ``os`` and ``sys``, which the interpreter has loaded anyway, so the
baseline stays the interpreter alone.
"""

from __future__ import annotations

import os
import sys


def report() -> None:
    """Write the module count and this process's peak RSS where the runner asks."""
    path = os.environ.get("STARTUP_BENCH_REPORT")
    if not path:
        return
    with open("/proc/self/status") as status:
        peak_kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(path, "w") as out:
        out.write(f"{len(sys.modules)} {peak_kib}\n")
