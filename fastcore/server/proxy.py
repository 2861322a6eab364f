"""``--proxy-headers``: the client address, scheme and request id a trusted proxy reports."""

from __future__ import annotations

import ipaddress
from typing import Any, cast

from fastcore._speedups.http_parser import RequestHead
from fastcore.exceptions import ImproperlyConfigured

__all__ = ["ProxyHeaders"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# The raw (name, value) list of any RequestHead: a fastcore Request's own
# ``headers`` is the case-insensitive mapping instead.
_raw_headers = cast(Any, RequestHead).headers.__get__


class ProxyHeaders:
    """Rewrite a request's client and scheme from ``X-Forwarded-*`` headers.

    Only a peer in ``allow`` is believed: anyone else could send the headers
    to spoof an address (a rate limit's key, an audit log) or pose as HTTPS.
    A trusted peer's ``X-Request-ID`` is kept as
    ``request.state.forwarded_request_id``, which
    :class:`~fastcore.middleware.request_id.RequestIdMiddleware` adopts (after
    checking its form); anyone else's is ignored.

    Args:
        allow: Comma-separated addresses or networks (``"10.0.0.0/8,::1"``),
            or ``"*"`` for any peer.

    Raises:
        ImproperlyConfigured: An entry is not an address or network.
    """

    def __init__(self, allow: str) -> None:
        self.any = False
        self.networks: list[_Network] = []
        for entry in (part.strip() for part in allow.split(",")):
            if not entry:
                continue
            if entry == "*":
                self.any = True
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ImproperlyConfigured(
                    f"--forwarded-allow-ips: {entry!r} is not an address or network"
                ) from None

    def trusts(self, host: str) -> bool:
        """Whether ``host`` (the peer's address) is a trusted proxy."""
        if self.any:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, head: RequestHead) -> None:
        """Apply the headers of a trusted peer to ``head`` (the protocol calls this)."""
        peer = head.client
        if isinstance(peer, tuple):
            if not self.trusts(peer[0]):
                return
        elif not self.any and peer not in (None, ""):
            return  # not TCP and not a Unix socket (whose peers are local processes)
        request_id = head.first_header(b"x-request-id")
        if request_id is not None:
            state = getattr(head, "state", None)  # a fastcore Request's (not an ASGI app's)
            if state is not None:
                state.forwarded_request_id = request_id.decode("latin-1")
        proto = _joined(head, b"x-forwarded-proto")
        if proto:
            # The last value is the one the nearest proxy wrote.
            scheme = proto.rsplit(",", 1)[-1].strip().lower()
            if scheme in ("http", "https", "ws", "wss"):
                head.scheme = scheme
        forwarded_for = _joined(head, b"x-forwarded-for")
        if forwarded_for:
            # SECURITY: the right-most address not of a trusted proxy is the
            # one the trusted chain saw; those left of it are client-supplied.
            hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
            client = hops[0] if hops else None
            for hop in reversed(hops):
                if not self.trusts(hop):
                    client = hop
                    break
            if client is not None:
                port = peer[1] if isinstance(peer, tuple) else 0
                head.client = (client, port)


def _joined(head: RequestHead, name: bytes) -> str:
    # Repeated fields are one comma-separated list (RFC 9110 section 5.3).
    values = [value for field, value in _raw_headers(head) if field == name]
    return b",".join(values).decode("latin-1")
