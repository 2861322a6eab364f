"""The access log: one line per answered request to the ``fastcore.access`` logger.

``--access-log`` writes the default text line; ``--access-log-format`` takes
either ``json`` (one JSON object per line, every field below) or a template
in :meth:`str.format` syntax naming the fields it wants::

    fastcore run app:app --access-log-format '{client} {request_id} "{method} {target}" {status}'

======================  =====================================================
``client``              the peer, ``host:port`` (the proxy's client with
                        ``--proxy-headers``)
``method``, ``target``  the request line's method and target (path and query)
``path``, ``query``     the target's parts
``version``             ``1.1`` or ``1.0``
``status``, ``size``    the response status and body bytes
``duration_ms``         milliseconds from the request head to the response
``host``, ``user_agent``, ``referer``  those request headers (``-`` if absent)
``request_id``          the id :class:`~fastcore.middleware.request_id.RequestIdMiddleware`
                        gave the request (``-`` without it)
======================  =====================================================
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable
from typing import Any

import orjson

from fastcore.exceptions import ImproperlyConfigured

__all__ = ["DEFAULT_FORMAT", "FIELDS", "AccessLog"]

#: The line ``--access-log`` writes without a format.
DEFAULT_FORMAT = '{client} - "{method} {target} HTTP/{version}" {status} {size} {duration_ms:.2f}ms'


def _header(name: bytes) -> Callable[[Any], str]:
    def read(head: Any) -> str:
        value = head.first_header(name)
        return value.decode("latin-1") if value else "-"

    return read


def _request_id(head: Any) -> str:
    # RequestIdMiddleware keeps it in request.state (a Request's _state slot,
    # absent until something set state).
    state = getattr(head, "_state", None)
    return getattr(state, "request_id", None) or "-"


#: The request fields a format may name, each read from the request head.
FIELDS: dict[str, Callable[[Any], Any]] = {
    "method": lambda head: head.method,
    "target": lambda head: head.target,
    "path": lambda head: head.target.partition("?")[0],
    "query": lambda head: head.target.partition("?")[2],
    "version": lambda head: f"1.{head.version_minor}",
    "host": _header(b"host"),
    "user_agent": _header(b"user-agent"),
    "referer": _header(b"referer"),
    "request_id": _request_id,
}
_ANSWER_FIELDS = ("client", "status", "size", "duration_ms")


class AccessLog:
    """Formats and logs the access line of each request (the protocol calls it).

    Args:
        format: ``None`` for :data:`DEFAULT_FORMAT`, ``"json"``, or a template.
        logger: Where the lines go (``fastcore.access``).

    Raises:
        ImproperlyConfigured: The template names an unknown field.
    """

    def __init__(self, format: str | None = None, logger: logging.Logger | None = None) -> None:
        self.json = format == "json"
        self.template = DEFAULT_FORMAT if format is None or self.json else format
        self.logger = logger or logging.getLogger("fastcore.access")
        if self.json:
            self.fields = list(FIELDS)
        else:
            names = [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
            unknown = [name for name in names if name not in FIELDS and name not in _ANSWER_FIELDS]
            if unknown:
                known = ", ".join([*_ANSWER_FIELDS, *FIELDS])
                raise ImproperlyConfigured(
                    f"access log format {self.template!r}: unknown field(s) "
                    f"{', '.join(unknown)} (known: {known})"
                )
            self.fields = [name for name in FIELDS if name in names]

    def __call__(self, head: Any, peer: Any, status: int, size: int, seconds: float) -> None:
        """Log the line of one answered request."""
        if not self.logger.isEnabledFor(logging.INFO):
            return
        values: dict[str, Any] = {name: FIELDS[name](head) for name in self.fields}
        values["client"] = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "-"
        values["status"] = status
        values["size"] = size
        values["duration_ms"] = round(seconds * 1000.0, 3)
        if self.json:
            line = orjson.dumps(values).decode()
        else:
            line = self.template.format(**values)
        # PERF: the record is made here, not by logger.info, which walks the
        # stack for the caller's file and line (always this method) first.
        logger = self.logger
        logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, line, (), None))
