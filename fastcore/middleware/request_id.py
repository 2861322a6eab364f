"""A request id per request: taken from a trusted proxy's ``X-Request-ID``, else generated.

::

    app.add_middleware(RequestIdMiddleware, trusted_proxies=["127.0.0.1"])

Every response carries ``x-request-id``. During the request the id is
``request.state.request_id`` and :func:`current_request_id`, and
:class:`RequestIdFilter` puts it on log records (``%(request_id)s``), so the
app's log lines, the access log (``{request_id}``) and the proxy's logs of
one request share it.

An incoming ``X-Request-ID`` is believed only from a trusted proxy (nginx
sends ``proxy_set_header X-Request-ID $request_id;``), and only when it is 1
to 128 letters, digits and ``.-_:``: anyone else could choose the id their
requests are logged under, or smuggle text into log lines. A proxy is
trusted in one of two ways:

- ``fastcore run --proxy-headers --forwarded-allow-ips 10.0.0.5``: the
  server believes that peer's ``X-Request-ID`` as it believes its
  ``X-Forwarded-For`` (``app.add_middleware(RequestIdMiddleware)`` is enough);
- ``trusted_proxies``, checked against the peer's address. Install it
  outside ``ProxyHeadersMiddleware`` (which replaces ``request.client`` by
  the proxy's client), first in the list::

    app = App(middleware=[
        (RequestIdMiddleware, {"trusted_proxies": ["127.0.0.1"]}),
        *default_middleware(settings=settings),
    ])
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["RequestIdFilter", "RequestIdMiddleware", "current_request_id"]

_VALID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fastcore_request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the request being handled in this context, or None outside one."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Give every log record a ``request_id`` attribute (``"-"`` outside a request).

    ``handler.addFilter(RequestIdFilter())``, then ``%(request_id)s`` in the format.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Set ``record.request_id``; never drops a record."""
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


class RequestIdMiddleware(Middleware):
    """Give each request an id, send it back in ``x-request-id``.

    Args:
        trusted_proxies: Addresses or networks whose ``X-Request-ID`` is kept.
        header: The header read and sent.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(
        self,
        next: Handler,
        *,
        trusted_proxies: Iterable[str] = (),
        header: str = "x-request-id",
    ) -> None:
        super().__init__(next)
        self.header = header.lower()
        self._header_bytes = self.header.encode("latin-1")
        self.networks = []
        for proxy in trusted_proxies:
            try:
                self.networks.append(ipaddress.ip_network(proxy, strict=False))
            except ValueError as exc:
                raise ImproperlyConfigured(f"request id trusted proxy {proxy!r}: {exc}") from exc

    def _trusted(self, request: Request) -> bool:
        peer = request.client
        if not self.networks or peer is None:
            return False
        try:
            address = ipaddress.ip_address(peer[0])
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def request_id(self, request: Request) -> str:
        """The proxy's id when the peer is trusted and the id well-formed, else a new one."""
        # Set by the server (--proxy-headers) for a peer in --forwarded-allow-ips only.
        forwarded = getattr(request.state, "forwarded_request_id", None)
        if forwarded is not None and self.header == "x-request-id":
            if _VALID.fullmatch(forwarded):
                return forwarded  # type: ignore[no-any-return]
            return uuid.uuid4().hex
        if self._trusted(request):
            incoming = request.headers.get(self.header, "")
            if _VALID.fullmatch(incoming):
                return incoming
        return uuid.uuid4().hex

    async def __call__(self, request: Request) -> Response:
        """Set the id for the request's context, answer with it."""
        value = self.request_id(request)
        setattr(request.state, "request_id", value)  # noqa: B010 (State is a free namespace)
        token = _request_id.set(value)
        try:
            response = await self.next(request)
        finally:
            _request_id.reset(token)
        response.raw_headers.append((self._header_bytes, value.encode("ascii")))
        return response
