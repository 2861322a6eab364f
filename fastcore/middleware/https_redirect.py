"""Redirect plain-http requests to https, keeping the method and body (308)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastcore.error_handlers import default_error_response
from fastcore.middleware.trusted_hosts import host_without_port
from fastcore.middleware_base import Handler, Middleware
from fastcore.responses import RedirectResponse

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["HTTPSRedirectMiddleware"]


class HTTPSRedirectMiddleware(Middleware):
    """Answer http requests with a permanent redirect to the same URL over https.

    Put it after :class:`~fastcore.middleware.proxy_headers.ProxyHeadersMiddleware`
    when TLS ends at a proxy, so ``request.scheme`` tells the truth, and after
    :class:`~fastcore.middleware.trusted_hosts.TrustedHostMiddleware`, so the
    redirect never points at a forged host.

    Args:
        https_port: The port https is served on (443 leaves it out of the URL).
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(self, next: Handler, *, https_port: int = 443) -> None:
        super().__init__(next)
        self.https_port = https_port

    def redirect_for(self, request: Request) -> Response | None:
        """The redirect for an http request, or None for an https one."""
        if request.scheme == "https":
            return None
        host = host_without_port(request.host)
        if not host:
            # HTTP/1.0 may omit Host: there is no https URL to send it to.
            return default_error_response(request, 400, "Missing Host header")
        if self.https_port != 443:
            host = f"{host}:{self.https_port}"
        target = f"https://{host}{request.raw_path}"
        if request.query_string:
            target += "?" + request.query_string
        # 308 (not 301): the method and body are kept for a POST.
        return RedirectResponse(target, status_code=308)

    async def __call__(self, request: Request) -> Response:
        """Redirect http requests; pass https ones on."""
        redirect = self.redirect_for(request)
        if redirect is not None:
            return redirect
        return await self.next(request)
