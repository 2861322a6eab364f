"""Rate limiting: a middleware and a per-route decorator, in memory or in Redis.

::

    app.add_middleware(RateLimitMiddleware, limit="100/minute")     # every route

    @app.post("/login")
    @rate_limit("5/minute", key="ip")                                 # plus this one
    async def login(request: Request): ...

Limits read ``"<count>/<period>"`` with a period of ``second``, ``minute``,
``hour``, ``day`` or a number of seconds (``"10/30s"``). Keys: ``"ip"`` (the
client address; put ProxyHeadersMiddleware outside so it is the real one),
``"user"`` (the authenticated user's id, else the address) or a function of the
request. Strategies: ``"fixed-window"`` (a counter per window) and
``"token-bucket"`` (bursts up to the limit, refilled continuously).

Storage: in-process memory by default (one count per worker process), or
:class:`RedisRateLimitStorage`, shared by every worker and machine; each hit
is one atomic Lua script, so concurrent workers never both take the last slot.

Refused requests get 429 with ``Retry-After``; every limited response carries
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeVar

from fastcore.error_handlers import default_error_response
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware
from fastcore.routing.marks import endpoint_for, get_option, routes_with_option, set_option
from fastcore.security.aio import run_in_task

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = [
    "Limit",
    "MemoryRateLimitStorage",
    "RateLimitMiddleware",
    "RateLimitResult",
    "RateLimitStorage",
    "RedisRateLimitStorage",
    "parse_limit",
    "rate_limit",
]

F = TypeVar("F", bound=Callable[..., Any])
Strategy = Literal["fixed-window", "token-bucket"]
KeyFunction = Callable[["Request"], str]

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day|s)s?\s*$")


class Limit(NamedTuple):
    """``amount`` requests per ``period`` seconds."""

    amount: int
    period: int


def parse_limit(text: str) -> Limit:
    """Parse ``"10/minute"``, ``"100 per hour"`` or ``"5/30s"``."""
    match = _LIMIT.match(text.lower())
    if match is None:
        raise ImproperlyConfigured(
            f"rate limit {text!r} must look like '10/minute', '100/hour' or '5/30s'"
        )
    amount, count, unit = int(match[1]), match[2], match[3]
    period = int(count or 1) * (1 if unit == "s" else _PERIODS[unit])
    if amount < 1 or period < 1:
        raise ImproperlyConfigured(f"rate limit {text!r} must allow at least 1 per second")
    return Limit(amount, period)


class RateLimitResult(NamedTuple):
    """The outcome of one hit: allowed or not, what is left, when it resets."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    retry_after: float


class RateLimitStorage(Protocol):
    """Counts hits per key atomically (per process in memory, shared in Redis)."""

    async def hit(self, key: str, limit: Limit, strategy: Strategy) -> RateLimitResult:
        """Record one request for ``key`` and say whether it is within ``limit``."""
        ...


class MemoryRateLimitStorage:
    """Counters in this process (the default; each worker counts on its own)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._buckets: dict[str, tuple[float, float]] = {}

    def _sweep(self, now: float) -> None:
        # Bounded memory: forget keys whose window or bucket has run out.
        if len(self._windows) > 10_000:
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        if len(self._buckets) > 10_000:
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > now - 86400}

    async def hit(self, key: str, limit: Limit, strategy: Strategy) -> RateLimitResult:
        """Count the request in a fixed window or take a token from the bucket."""
        now = time.monotonic()
        self._sweep(now)
        if strategy == "fixed-window":
            ends, count = self._windows.get(key, (0.0, 0))
            if ends <= now:
                ends, count = now + limit.period, 0
            count += 1
            self._windows[key] = (ends, count)
            allowed = count <= limit.amount
            reset = ends - now
            return RateLimitResult(
                allowed, limit.amount, max(0, limit.amount - count), reset, 0 if allowed else reset
            )
        rate = limit.amount / limit.period
        tokens, last = self._buckets.get(key, (float(limit.amount), now))
        tokens = min(float(limit.amount), tokens + (now - last) * rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[key] = (tokens, now)
        retry = 0.0 if allowed else (1 - tokens) / rate
        reset = (limit.amount - tokens) / rate
        return RateLimitResult(allowed, limit.amount, int(tokens), reset, retry)


# KEYS[1] = counter; ARGV[1] = window in ms. Returns {count, ms left}.
_FIXED_WINDOW_LUA = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""

# KEYS[1] = bucket hash; ARGV[1] = capacity, ARGV[2] = period in ms. The server
# clock (TIME) is the one clock all workers share. Returns
# {allowed, tokens left, ms until a token, ms until full}.
_TOKEN_BUCKET_LUA = """
local capacity = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local last = tonumber(state[2]) or now
local rate = capacity / period
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], period)
local retry = 0
if allowed == 0 then retry = math.ceil((1 - tokens) / rate) end
return {allowed, math.floor(tokens), retry, math.ceil((capacity - tokens) / rate)}
"""


class RedisRateLimitStorage:
    """Counters in Redis, shared by all workers; one atomic Lua script per hit.

    Args:
        url: The Redis URL, used when no ``client`` is given.
        client: A ``redis.asyncio.Redis`` client to use instead.
        prefix: Prepended to every key.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Any = None,
        prefix: str = "fastcore:ratelimit:",
    ) -> None:
        if client is None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(url)
        self.client = client
        self.prefix = prefix
        self._fixed = client.register_script(_FIXED_WINDOW_LUA)
        self._bucket = client.register_script(_TOKEN_BUCKET_LUA)

    async def hit(self, key: str, limit: Limit, strategy: Strategy) -> RateLimitResult:
        """Run the strategy's script on the key."""
        return await run_in_task(self._hit(key, limit, strategy))

    async def _hit(self, key: str, limit: Limit, strategy: Strategy) -> RateLimitResult:
        period_ms = limit.period * 1000
        if strategy == "fixed-window":
            count, ttl = await self._fixed(keys=[f"{self.prefix}fw:{key}"], args=[period_ms])
            allowed = int(count) <= limit.amount
            reset = int(ttl) / 1000
            remaining = max(0, limit.amount - int(count))
            return RateLimitResult(allowed, limit.amount, remaining, reset, 0 if allowed else reset)
        allowed_flag, tokens, retry_ms, full_ms = await self._bucket(
            keys=[f"{self.prefix}tb:{key}"], args=[limit.amount, period_ms]
        )
        return RateLimitResult(
            bool(allowed_flag), limit.amount, int(tokens), int(full_ms) / 1000, int(retry_ms) / 1000
        )


class _Rule(NamedTuple):
    limit: Limit
    key: str | KeyFunction
    strategy: Strategy
    scope: str


def _check_strategy(strategy: str) -> Strategy:
    if strategy not in ("fixed-window", "token-bucket"):
        raise ImproperlyConfigured(
            f"rate limit strategy {strategy!r} must be 'fixed-window' or 'token-bucket'"
        )
    return strategy  # type: ignore[return-value]


def _check_key(key: str | KeyFunction) -> str | KeyFunction:
    if isinstance(key, str) and key not in ("ip", "user"):
        raise ImproperlyConfigured(f"rate limit key {key!r} must be 'ip', 'user' or a function")
    return key


def rate_limit(
    limit: str, *, key: str | KeyFunction = "ip", strategy: str = "fixed-window"
) -> Callable[[F], F]:
    """Limit one handler (enforced by :class:`RateLimitMiddleware`); may be stacked."""
    parsed = parse_limit(limit)
    checked_key, checked_strategy = _check_key(key), _check_strategy(strategy)

    def decorator(endpoint: F) -> F:
        scope = f"{endpoint.__module__}.{endpoint.__qualname__}:{limit}"
        rule = _Rule(parsed, checked_key, checked_strategy, scope)
        rules = [*get_option(endpoint, "rate_limit", ()), rule]
        return set_option(endpoint, "rate_limit", rules)

    return decorator


def _client_ip(request: Request) -> str:
    client = request.client
    return client[0] if client else "unknown"


class RateLimitMiddleware(Middleware):
    """Enforce a global limit and the limits of ``@rate_limit`` routes.

    Args:
        limit: A limit for every request (None: only decorated routes).
        key: ``"ip"``, ``"user"`` or ``key(request) -> str``.
        strategy: ``"fixed-window"`` or ``"token-bucket"``.
        storage: A :class:`RateLimitStorage` (memory by default).
        headers: Add ``RateLimit-*`` headers to allowed responses too.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(
        self,
        next: Handler,
        *,
        limit: str | None = None,
        key: str | KeyFunction = "ip",
        strategy: str = "fixed-window",
        storage: RateLimitStorage | None = None,
        headers: bool = True,
    ) -> None:
        super().__init__(next)
        self.global_rule = (
            _Rule(parse_limit(limit), _check_key(key), _check_strategy(strategy), "global")
            if limit is not None
            else None
        )
        self.storage: RateLimitStorage = storage or MemoryRateLimitStorage()
        self.headers = headers
        self._routes_limited: bool | None = None

    def _key(self, rule: _Rule, request: Request) -> str:
        if callable(rule.key):
            return f"{rule.scope}:custom:{rule.key(request)}"
        if rule.key == "user":
            user = getattr(request, "_user", None)
            user_id = getattr(user, "id", None)
            if user_id is not None and getattr(user, "is_authenticated", True):
                return f"{rule.scope}:user:{user_id}"
        return f"{rule.scope}:ip:{_client_ip(request)}"

    def rules_for(self, request: Request) -> list[_Rule]:
        """The limits that apply to ``request`` (empty: nothing to count)."""
        if self._routes_limited is None:
            self._routes_limited = routes_with_option(request, "rate_limit")
        rules: list[_Rule] = []
        if self.global_rule is not None:
            rules.append(self.global_rule)
        if self._routes_limited:
            rules.extend(get_option(endpoint_for(request), "rate_limit", ()))
        return rules

    async def admit(
        self, request: Request, rules: list[_Rule]
    ) -> tuple[Response | None, RateLimitResult | None]:
        """Count the request; return the 429 when a limit is exceeded, else the tightest result."""
        tightest: RateLimitResult | None = None
        for rule in rules:
            result = await self.storage.hit(self._key(rule, request), rule.limit, rule.strategy)
            if not result.allowed:
                headers = _headers(result)
                headers["retry-after"] = str(max(1, math.ceil(result.retry_after)))
                return default_error_response(request, 429, "Too Many Requests", headers), None
            if tightest is None or result.remaining < tightest.remaining:
                tightest = result
        return None, tightest

    def decorate(self, response: Response, tightest: RateLimitResult | None) -> None:
        """Add the ``RateLimit-*`` headers of the tightest limit to an allowed response."""
        if self.headers and tightest is not None:
            for name, value in _headers(tightest).items():
                response.raw_headers.append((name.encode(), value.encode()))

    async def __call__(self, request: Request) -> Response:
        """Count the request against every applicable limit; 429 when one is exceeded."""
        rules = self.rules_for(request)
        if not rules:
            return await self.next(request)
        refused, tightest = await self.admit(request, rules)
        if refused is not None:
            return refused
        response = await self.next(request)
        self.decorate(response, tightest)
        return response


def _headers(result: RateLimitResult) -> dict[str, str]:
    return {
        "ratelimit-limit": str(result.limit),
        "ratelimit-remaining": str(result.remaining),
        "ratelimit-reset": str(max(0, math.ceil(result.reset_after))),
    }
