"""``--proxy-headers``: the client address and scheme a trusted proxy reports."""

from __future__ import annotations

import ipaddress

from fastcore._speedups.http_parser import RequestHead
from fastcore.exceptions import ImproperlyConfigured

__all__ = ["ProxyHeaders"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ProxyHeaders:
    """Rewrite a request's client and scheme from ``X-Forwarded-*`` headers.

    Only a peer in ``allow`` is believed: anyone else could send the headers
    to spoof an address (a rate limit's key, an audit log) or pose as HTTPS.

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
    values = [value for field, value in head.headers if field == name]
    return b",".join(values).decode("latin-1")
