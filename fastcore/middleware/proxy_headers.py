"""Believe X-Forwarded-* and Forwarded headers, but only from trusted proxies.

Behind a reverse proxy the socket peer is the proxy, so the real client
address, scheme and host arrive in headers. Anyone can send those headers, so
they are honored only when the peer is one of ``trusted_proxies``; from any
other peer they are ignored. With several proxies in a chain, the client is
the right-most address in the list that is not itself a trusted proxy.

RFC 7239 ``Forwarded`` is used when present, else ``X-Forwarded-For``,
``X-Forwarded-Proto`` and ``X-Forwarded-Host``. The middleware rewrites
``request.client``, ``request.scheme`` and ``request.host``; install it first
(outermost), so every other layer sees the corrected values.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from fastcore._speedups.http_parser import RequestHead
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["ProxyHeadersMiddleware", "parse_forwarded"]

_host_field = cast(Any, RequestHead).host

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """Parse an RFC 7239 ``Forwarded`` header into one dict per hop (keys lower-cased)."""
    hops = []
    for element in value.split(","):
        pairs: dict[str, str] = {}
        for pair in element.split(";"):
            key, sep, item = pair.strip().partition("=")
            if sep:
                pairs[key.strip().lower()] = item.strip().strip('"')
        hops.append(pairs)
    return hops


def _node_address(node: str) -> str:
    """The address of an RFC 7239 node (``"[2001:db8::1]:4711"`` → ``2001:db8::1``)."""
    if node.startswith("["):
        return node[1 : node.find("]")] if "]" in node else node
    return node.rsplit(":", 1)[0] if node.count(":") == 1 else node


class ProxyHeadersMiddleware(Middleware):
    """Take the client, scheme and host from proxy headers sent by trusted proxies.

    Args:
        trusted_proxies: Addresses or networks (``10.0.0.0/8``) of your proxies.
            ``"*"`` trusts every peer: only when the app is unreachable except
            through the proxy.
        trust_host: Also take the host from ``X-Forwarded-Host`` / ``host=``.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(
        self, next: Handler, *, trusted_proxies: Iterable[str], trust_host: bool = True
    ) -> None:
        super().__init__(next)
        proxies = list(trusted_proxies)
        if not proxies:
            raise ImproperlyConfigured("ProxyHeadersMiddleware needs trusted_proxies")
        self.trust_all = "*" in proxies
        self.networks: list[Network] = []
        for proxy in proxies:
            if proxy == "*":
                continue
            try:
                self.networks.append(ipaddress.ip_network(proxy, strict=False))
            except ValueError as exc:
                raise ImproperlyConfigured(f"trusted proxy {proxy!r}: {exc}") from exc
        self.trust_host = trust_host

    def is_trusted(self, address: str) -> bool:
        """Tell whether ``address`` is one of the trusted proxies."""
        if self.trust_all:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def _client_from_chain(self, chain: list[str]) -> str | None:
        for address in reversed(chain):
            if not self.is_trusted(address):
                return address
        return chain[0] if chain else None

    def rewrite(self, request: Request) -> None:
        """Take client, scheme and host from the headers when the peer is a trusted proxy."""
        peer = request.client
        if peer is not None and self.is_trusted(peer[0]):
            self._apply(request)

    async def __call__(self, request: Request) -> Response:
        """Rewrite client, scheme and host when the peer is a trusted proxy."""
        self.rewrite(request)
        return await self.next(request)

    def _apply(self, request: Request) -> None:
        headers = request.headers
        forwarded = headers.getlist("forwarded")
        if forwarded:
            hops = parse_forwarded(",".join(forwarded))
            chain = [_node_address(hop["for"]) for hop in hops if "for" in hop]
            last = hops[-1] if hops else {}
            proto, host = last.get("proto"), last.get("host")
        else:
            chain = [
                item.strip()
                for value in headers.getlist("x-forwarded-for")
                for item in value.split(",")
                if item.strip()
            ]
            proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip() or None
            host = headers.get("x-forwarded-host", "").split(",")[-1].strip() or None
        client = self._client_from_chain(chain)
        if client:
            try:
                ipaddress.ip_address(client)
            except ValueError:
                client = None  # "unknown" or an obfuscated identifier: keep the peer
        if client:
            request.client = (client, 0)
        if proto and proto.lower() in ("http", "https"):
            request.scheme = proto.lower()
        if host and self.trust_host and not any(ch in host for ch in " \t/\\@"):
            _host_field.__set__(request, host.encode("latin-1"))
