"""Where sessions live: the signed cookie itself, or a server-side store.

:class:`SessionBackend` is the contract the session middleware talks to.
Two implementations ship:

- :class:`CookieBackend` (the default) keeps the whole session in the signed
  cookie: no server state, limited to about 4 KB, readable (not writable) by
  the client.
- :class:`StoreBackend` keeps the data in a :class:`SessionStore` (Redis, or
  memory for development) and only a signed random id in the cookie; the
  store's TTL enforces the idle timeout.

A database store (a table of key, value, expiry through ``fastcore.orm``)
plugs in by implementing the three methods of :class:`SessionStore`.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple, Protocol

import orjson

from fastcore.security.aio import run_in_task
from fastcore.security.crypto import b64decode, b64encode
from fastcore.security.signing import Signer

__all__ = [
    "CookieBackend",
    "MemorySessionStore",
    "RedisSessionStore",
    "SessionBackend",
    "SessionRecord",
    "SessionStore",
    "StoreBackend",
]


class SessionRecord(NamedTuple):
    """A stored session: its id, creation time, data and last save time."""

    id: str
    created: float
    data: dict[str, Any]
    saved_at: float


class SessionBackend(Protocol):
    """The contract between the session middleware and a session storage."""

    async def load(self, cookie_value: str, idle_timeout: float | None) -> SessionRecord | None:
        """Return the session the cookie names, or None (forged, expired, unknown)."""
        ...

    async def save(self, record: SessionRecord, ttl: int) -> str:
        """Store ``record`` for ``ttl`` seconds and return the cookie value naming it."""
        ...

    async def delete(self, session_id: str) -> None:
        """Forget a session (logout, rotation); a no-op where nothing is stored."""
        ...


class SessionStore(Protocol):
    """A key-value store with expiry, for :class:`StoreBackend` (Redis, a database)."""

    async def get(self, key: str) -> bytes | None:
        """Return the stored value, or None when missing or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` under ``key``, expiring after ``ttl`` seconds."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error when missing)."""
        ...


def _decode_record(session_id: str, payload: Any, saved_at: float) -> SessionRecord | None:
    if not isinstance(payload, dict):
        return None
    created, data = payload.get("c"), payload.get("d")
    if not isinstance(created, int | float) or not isinstance(data, dict):
        return None
    return SessionRecord(session_id, float(created), data, saved_at)


class CookieBackend:
    """Keeps the session in the cookie, signed (tamper-proof, not secret)."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    async def load(self, cookie_value: str, idle_timeout: float | None) -> SessionRecord | None:
        """Verify the cookie's signature and age and decode the session in it."""
        verified = self.signer.unsign_with_timestamp(cookie_value, max_age=idle_timeout)
        if verified is None:
            return None
        value, saved_at = verified
        try:
            payload = orjson.loads(b64decode(value))
        except (ValueError, orjson.JSONDecodeError):
            return None
        session_id = payload.get("i") if isinstance(payload, dict) else None
        if not isinstance(session_id, str):
            return None
        return _decode_record(session_id, payload, float(saved_at))

    async def save(self, record: SessionRecord, ttl: int) -> str:
        """Encode and sign the session: the cookie value is the session."""
        payload = {"i": record.id, "c": int(record.created), "d": record.data}
        return self.signer.sign(b64encode(orjson.dumps(payload)))

    async def delete(self, session_id: str) -> None:
        """Nothing is stored server-side; dropping the cookie is enough."""


class StoreBackend:
    """Keeps session data in a :class:`SessionStore`; the cookie holds a signed id.

    The id is signed so a client cannot even probe the store with guessed ids.
    """

    def __init__(self, store: SessionStore, signer: Signer) -> None:
        self.store = store
        self.signer = signer

    async def load(self, cookie_value: str, idle_timeout: float | None) -> SessionRecord | None:
        """Verify the signed id, then fetch the session from the store."""
        session_id = self.signer.unsign(cookie_value, max_age=idle_timeout)
        if session_id is None:
            return None
        raw = await self.store.get(session_id)
        if raw is None:
            return None
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        saved_at = payload.get("s", 0) if isinstance(payload, dict) else 0
        return _decode_record(session_id, payload, float(saved_at))

    async def save(self, record: SessionRecord, ttl: int) -> str:
        """Write the session with a TTL and return its signed id."""
        payload = {"c": int(record.created), "d": record.data, "s": int(record.saved_at)}
        await self.store.set(record.id, orjson.dumps(payload), ttl)
        return self.signer.sign(record.id)

    async def delete(self, session_id: str) -> None:
        """Remove the session from the store."""
        await self.store.delete(session_id)


class MemorySessionStore:
    """A per-process store for development and tests (not shared between workers)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[bytes, float]] = {}

    async def get(self, key: str) -> bytes | None:
        """Return the value unless it expired."""
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] <= time.monotonic():
            del self._items[key]
            return None
        return item[0]

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store the value until ``ttl`` seconds from now."""
        self._items[key] = (value, time.monotonic() + ttl)
        if len(self._items) > 10_000:
            now = time.monotonic()
            self._items = {k: v for k, v in self._items.items() if v[1] > now}

    async def delete(self, key: str) -> None:
        """Remove the key."""
        self._items.pop(key, None)


class RedisSessionStore:
    """Sessions in Redis (redis-py asyncio), one key per session with a TTL.

    Args:
        url: The Redis URL, used when no ``client`` is given.
        client: A ``redis.asyncio.Redis`` client to use instead.
        prefix: Prepended to every key (one prefix per app sharing a server).
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Any = None,
        prefix: str = "fastcore:session:",
    ) -> None:
        if client is None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(url)
        self.client = client
        self.prefix = prefix

    async def get(self, key: str) -> bytes | None:
        """GET the session's key."""
        value = await run_in_task(self.client.get(self.prefix + key))
        return None if value is None else bytes(value)

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        """SET the key with an expiry (EX)."""
        await run_in_task(self.client.set(self.prefix + key, value, ex=max(1, ttl)))

    async def delete(self, key: str) -> None:
        """DEL the key."""
        await run_in_task(self.client.delete(self.prefix + key))
