"""Host header validation: answer 400 to any host the app does not serve.

Without it, a forged ``Host`` ends up in absolute URLs the app builds
(password-reset links, redirects, cache keys) and poisons them. Patterns are
exact names (``example.com``), subdomain wildcards (``*.example.com``, which
matches ``a.example.com`` and ``a.b.example.com`` but not ``example.com``
itself) or ``*`` (any host: validation off). Ports are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from fastcore._speedups.http_parser import RequestHead
from fastcore.error_handlers import default_error_response
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["TrustedHostMiddleware", "host_without_port"]

logger = logging.getLogger("fastcore.security")

_raw_host = cast(Any, RequestHead).host.__get__

#: How many distinct Host values the verdict cache remembers.
_CACHE_SIZE = 256


def host_without_port(host: str) -> str:
    """Lower-case a Host value and strip its port (``[::1]:80`` → ``[::1]``).

    A fully qualified name's trailing dot goes too (``Example.COM.:443`` →
    ``example.com``): it names the same host.
    """
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.removesuffix(".")


class TrustedHostMiddleware(Middleware):
    """Refuse requests whose Host is not one of ``allowed_hosts`` (400).

    Args:
        allowed_hosts: Host names, ``*.domain`` wildcards, or ``*``.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(self, next: Handler, *, allowed_hosts: Iterable[str]) -> None:
        super().__init__(next)
        # (Written like Host values: a trailing dot names the same host.)
        hosts = [host.strip().lower().removesuffix(".") for host in allowed_hosts]
        if not hosts:
            raise ImproperlyConfigured(
                "TrustedHostMiddleware needs allowed_hosts, e.g. ['example.com', '*.example.com']"
            )
        self.allow_any = "*" in hosts
        self.exact = frozenset(host for host in hosts if not host.startswith("*."))
        self.suffixes = tuple(host[1:] for host in hosts if host.startswith("*."))
        for host in self.exact:
            if host != "*" and ("*" in host or "/" in host or " " in host):
                raise ImproperlyConfigured(f"invalid allowed host pattern {host!r}")
        # PERF: a verdict per raw Host value, so the common case is one dict
        # lookup (bench/micro/test_bench_security_stack.py).
        self._verdicts: dict[bytes, bool] = {}

    def is_allowed(self, host: str) -> bool:
        """Tell whether a Host header value names a served host."""
        name = host_without_port(host)
        if not name:
            return False
        return name in self.exact or (bool(self.suffixes) and name.endswith(self.suffixes))

    def refusal(self, request: Request) -> Response | None:
        """The 400 response for a request to an unknown host, or None to go on."""
        if self.allow_any:
            return None
        raw: bytes = _raw_host(request)
        allowed = self._verdicts.get(raw)
        if allowed is None:
            allowed = self.is_allowed(raw.decode("latin-1"))
            if len(self._verdicts) < _CACHE_SIZE:
                self._verdicts[raw] = allowed
        if allowed:
            return None
        logger.warning("refused request for untrusted host %r", request.host)
        return default_error_response(request, 400, "Invalid Host header")

    async def __call__(self, request: Request) -> Response:
        """Answer 400 to a request for an unknown host, pass the others on."""
        refused = self.refusal(request)
        if refused is not None:
            return refused
        return await self.next(request)
