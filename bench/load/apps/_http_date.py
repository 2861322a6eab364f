"""An HTTP ``Date`` header value cached for the current second.

For the servers that do not add ``Date`` themselves (Sanic, the bare
protocol): TechEmpower requires it on every response, and formatting it once a
second is what the servers that do add it also do.
"""

from __future__ import annotations

import time
from email.utils import formatdate

_cached_second = -1
_cached_value = ""


def http_date() -> str:
    """Return the current time as an IMF-fixdate, reformatted once a second."""
    global _cached_second, _cached_value
    now = int(time.time())
    if now != _cached_second:
        _cached_second = now
        _cached_value = formatdate(now, usegmt=True)
    return _cached_value
