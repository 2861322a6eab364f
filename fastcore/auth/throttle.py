"""Login throttling: attempts counted per account and per client address.

Counts go through a rate limiter storage (:mod:`fastcore.middleware.rate_limit`),
so with ``RedisRateLimitStorage`` every worker shares them. Both keys are
counted on every attempt, successful or not: a password guesser is slowed
down on one account from many addresses, and on many accounts from one.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING

from fastcore.middleware.rate_limit import (
    MemoryRateLimitStorage,
    RateLimitStorage,
    parse_limit,
)

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Limits login attempts per account and per client address.

    Args:
        per_account: Attempts allowed on one username (``"5/minute"``).
        per_ip: Attempts allowed from one client address.
        storage: The counters (memory by default; pass the app's
            ``RedisRateLimitStorage`` to share them between workers).
    """

    def __init__(
        self,
        *,
        per_account: str = "5/minute",
        per_ip: str = "20/minute",
        storage: RateLimitStorage | None = None,
    ) -> None:
        self.per_account = parse_limit(per_account)
        self.per_ip = parse_limit(per_ip)
        self.storage: RateLimitStorage = storage or MemoryRateLimitStorage()

    async def hit(self, request: Request, username: str, purpose: str = "login") -> int | None:
        """Count one attempt; return the seconds to wait when refused, else None."""
        # The account key is a digest: usernames never appear in the storage's keys.
        account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        client = request.client[0] if request.client else "unknown"
        wait = 0.0
        for key, limit in (
            (f"auth:{purpose}:account:{account}", self.per_account),
            (f"auth:{purpose}:ip:{client}", self.per_ip),
        ):
            result = await self.storage.hit(key, limit, "fixed-window")
            if not result.allowed:
                wait = max(wait, result.retry_after)
        return max(1, math.ceil(wait)) if wait else None
