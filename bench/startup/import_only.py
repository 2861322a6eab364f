"""``import X`` and nothing else: ``python import_only.py fastcore``.

``__import__`` is the statement ``import fastcore`` without a literal name; it
imports nothing of its own.
"""

from __future__ import annotations

import sys

from _report import report

if __name__ == "__main__":
    __import__(sys.argv[1])
    report()
