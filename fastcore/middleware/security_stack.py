"""The default security layers run as one middleware: same checks, one call per request.

Every layer of :func:`fastcore.security.default_middleware` is a middleware of
its own, and a chain of them costs a coroutine and an ``await`` per layer on
every request. :class:`SecurityStack` holds the same layer objects and calls
their steps in the same order from a single ``__call__``, which is what the
App installs by default (``App(security=...)``)::

    app = App(middleware=[SecurityStack.of(default_middleware(settings=settings))])

Layers whose work cannot apply are left out when the app is built: body limits
without a default limit or ``@body_limit`` routes, rate limits without a
global limit or ``@rate_limit`` routes (:meth:`SecurityStack.of` with ``app``).

The stack also offers its steps compiled, as :attr:`SecurityStack.gate`: when
it is the App's only middleware, the bundled server runs the gate around the
handler for the common request and calls the stack itself only for the
requests the gate turns down (see :mod:`fastcore._speedups.security_gate`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any

from fastcore._speedups.security_gate import SecurityGate
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware.body_limit import BodyLimitMiddleware
from fastcore.middleware.csrf import UNSAFE_METHODS, CSRFMiddleware
from fastcore.middleware.https_redirect import HTTPSRedirectMiddleware
from fastcore.middleware.proxy_headers import ProxyHeadersMiddleware
from fastcore.middleware.rate_limit import RateLimitMiddleware
from fastcore.middleware.security_headers import SecurityHeadersMiddleware
from fastcore.middleware.sessions import Session, SessionMiddleware
from fastcore.middleware.trusted_hosts import TrustedHostMiddleware
from fastcore.middleware_base import Handler, Middleware, MiddlewareSpec
from fastcore.security.context import current_request

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["SECURITY_LAYERS", "SecurityStack"]

#: The layers a SecurityStack runs, outermost first (the default stack's order).
SECURITY_LAYERS: tuple[type[Middleware], ...] = (
    ProxyHeadersMiddleware,
    TrustedHostMiddleware,
    HTTPSRedirectMiddleware,
    SecurityHeadersMiddleware,
    BodyLimitMiddleware,
    RateLimitMiddleware,
    SessionMiddleware,
    CSRFMiddleware,
)


def _routes_use(app: Any, option: str) -> bool:
    from fastcore.routing.marks import get_option

    return any(
        get_option(getattr(route.endpoint, "endpoint", route.endpoint), option) is not None
        for route in app.router.routes
    )


def _needed(spec: MiddlewareSpec, app: Any) -> bool:
    """Whether a layer can do anything in ``app`` (whose routes are frozen)."""
    if spec.cls is BodyLimitMiddleware:
        return spec.options.get("max_body_size") is not None or _routes_use(app, "body_limit")
    if spec.cls is RateLimitMiddleware:
        return spec.options.get("limit") is not None or _routes_use(app, "rate_limit")
    return True


class SecurityStack(Middleware):
    """The default security layers, in their order, run from one middleware call.

    Args:
        layers: The layer specs, outermost first, each class at most once and
            in the order of :data:`SECURITY_LAYERS` (what ``default_middleware``
            returns).
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(self, next: Handler, *, layers: Iterable[MiddlewareSpec]) -> None:
        super().__init__(next)
        self.layers = list(layers)
        order = [
            SECURITY_LAYERS.index(spec.cls) for spec in self.layers if spec.cls in SECURITY_LAYERS
        ]
        if len(order) != len(self.layers) or order != sorted(set(order)):
            names = [getattr(spec.cls, "__name__", repr(spec.cls)) for spec in self.layers]
            raise ImproperlyConfigured(
                f"SecurityStack runs the default layers once each, in their order; got {names}"
            )
        built = {spec.cls: spec.build(next) for spec in self.layers}
        self.proxies: Any = built.get(ProxyHeadersMiddleware)
        self.hosts: Any = built.get(TrustedHostMiddleware)
        self.https: Any = built.get(HTTPSRedirectMiddleware)
        self.headers: Any = built.get(SecurityHeadersMiddleware)
        self.body_limit: Any = built.get(BodyLimitMiddleware)
        self.rate_limit: Any = built.get(RateLimitMiddleware)
        self.sessions: Any = built.get(SessionMiddleware)
        self.csrf: Any = built.get(CSRFMiddleware)
        if self.csrf is not None and self.sessions is None:
            raise ImproperlyConfigured("CSRFMiddleware needs SessionMiddleware in the stack")
        #: The same steps compiled, which the server runs around the handler
        #: itself for the common request when this is the App's only
        #: middleware (PERF: no coroutine of ours; fastcore._speedups.security_gate).
        self.gate = SecurityGate(
            self,
            current_request=current_request,
            new_session=Session,
            unsafe_methods=UNSAFE_METHODS,
        )

    @classmethod
    def of(cls, layers: Iterable[MiddlewareSpec], app: Any = None) -> MiddlewareSpec:
        """The spec of a stack of ``layers`` (with ``app``: only those with work to do)."""
        kept = [spec for spec in layers if app is None or _needed(spec, app)]
        return MiddlewareSpec(cls, {"layers": kept})

    def _outer_refusal(self, request: Request) -> Response | None:
        """The layers outside the security headers: proxies, hosts, the https redirect."""
        if self.proxies is not None:
            self.proxies.rewrite(request)
        refused: Response | None = None
        if self.hosts is not None:
            refused = self.hosts.refusal(request)
        if refused is None and self.https is not None:
            refused = self.https.redirect_for(request)
        return refused

    async def _limit_refusal(self, request: Request) -> tuple[Response | None, Any]:
        """The body and rate limit layers: a refusal, and the tightest rate rule."""
        if self.body_limit is not None:
            refused = self.body_limit.refusal(request)
            if refused is not None:
                return refused, None
        if self.rate_limit is not None:
            rules = self.rate_limit.rules_for(request)
            if rules:
                refused, tightest = await self.rate_limit.admit(request, rules)
                return refused, tightest
        return None, None

    async def __call__(self, request: Request) -> Response:
        """Run each layer's step before the handler, then its step after it."""
        # PERF: one coroutine for all the layers, every step inline
        # (bench/micro/test_bench_security_stack.py).
        refused = self._outer_refusal(request)
        if refused is not None:
            return refused
        if self.headers is not None:
            self.headers.enter(request)
        response: Response | None = None
        tightest = None
        try:
            if self.body_limit is not None or self.rate_limit is not None:
                response, tightest = await self._limit_refusal(request)
            if response is None:
                sessions = self.sessions
                if sessions is None:
                    response = await self.next(request)
                else:
                    cookie = sessions.cookie_of(request)
                    if cookie:
                        await sessions.attach(request, cookie)
                    else:
                        sessions.defer(request)  # PERF: no coroutine for anonymous visitors
                    if self.csrf is not None:
                        self.csrf.enter(request)
                        if request.method in UNSAFE_METHODS:
                            response = await self.csrf.check(request)
                    if response is None:
                        response = await self.next(request)
                    await self._save_session(request, response, cookie)
        finally:
            nonce = self._leave(request)
        return self._finish(request, response, nonce, tightest)

    async def after_gate(self, request: Request, response: Response) -> Response:
        """The steps after the handler of a request :attr:`gate` let through.

        The gate calls this when it cannot finish in C: the session has to
        be saved (which may await its backend).
        """
        try:
            await self._save_session(request, response, None)
        finally:
            nonce = self._leave(request)
        return self._finish(request, response, nonce, None)

    async def after_gate_later(self, request: Request, pending: Awaitable[Response]) -> Response:
        """:meth:`after_gate` for a handler that suspended: awaits its response first."""
        return await self.after_gate(request, await pending)

    async def _save_session(self, request: Request, response: Response, cookie: str | None) -> None:
        sessions = self.sessions
        if sessions is None:
            return
        session = sessions.attached(request)
        if session is not None and sessions.touched(session, cookie):
            await sessions.commit(request, session, response, had_cookie=bool(cookie))

    def _leave(self, request: Request) -> str | None:
        """End the request's context: the nonce it drew (security headers), if any."""
        if self.headers is not None:
            nonce: str | None = self.headers.leave(request)
            return nonce
        # Requests handled without a Task share one context: no stale request.
        current_request.set(None)
        return None

    def _finish(
        self, request: Request, response: Response, nonce: str | None, tightest: Any
    ) -> Response:
        """The steps after the handler that change the response: rate headers, security headers."""
        if tightest is not None:
            self.rate_limit.decorate(response, tightest)
        if self.headers is not None:
            self.headers.finish(request, response, nonce)
        return response

    def __repr__(self) -> str:
        names = ", ".join(getattr(spec.cls, "__name__", "?") for spec in self.layers)
        return f"<SecurityStack {names}>"
