"""The interpreter alone: start, report, exit (what ``python -c pass`` costs).

Every other variant pays this; the runner subtracts its median so the
frameworks' own share can be read.
"""

from __future__ import annotations

from _report import report

if __name__ == "__main__":
    report()
