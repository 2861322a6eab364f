"""The interpreter alone: start, report, exit (what ``python -c pass`` costs).

Every other variant pays this; the runner subtracts its median so the
frameworks' own share can be read.
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


if __name__ == "__main__":
    report()
