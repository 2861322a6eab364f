"""Cache backends: one async API over process memory or Redis.

Values are ``bytes``, ``int`` or anything orjson serializes (str, numbers,
lists, dicts, None), so a value read back from Redis is data, never code
(no pickle: a writable Redis must not mean code execution in the app).
Integers are stored as decimal text, so :meth:`BaseCache.incr` is one
atomic ``INCRBY`` on Redis, shared by every process and machine.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

__all__ = ["BaseCache", "MemoryCache", "RedisCache"]

_MISSING = object()


def _encode(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"j" + orjson.dumps(value)
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, bytes | bytearray | memoryview):
        return b"b" + bytes(value)
    return b"j" + orjson.dumps(value)


def _decode(data: bytes) -> Any:
    kind = data[:1]
    if kind == b"b":
        return data[1:]
    if kind == b"j":
        return orjson.loads(data[1:])
    return int(data)


class BaseCache:
    """The cache API; subclasses store encoded bytes under prefixed keys.

    Args:
        prefix: Put before every key (one Redis shared by several apps).
        default_timeout: Seconds an entry lives when ``set`` gives none
            (None: until evicted).
    """

    def __init__(self, *, prefix: str = "", default_timeout: float | None = 300) -> None:
        self.prefix = prefix
        self.default_timeout = default_timeout

    def _timeout(self, timeout: float | None | object) -> float | None:
        return self.default_timeout if timeout is _MISSING else timeout  # type: ignore[return-value]

    async def _get(self, key: str) -> bytes | None:
        raise NotImplementedError

    async def _set(self, key: str, data: bytes, timeout: float | None) -> None:
        raise NotImplementedError

    async def _add(self, key: str, data: bytes, timeout: float | None) -> bool:
        raise NotImplementedError

    async def _delete(self, key: str) -> bool:
        raise NotImplementedError

    async def _incr(self, key: str, delta: int) -> int:
        raise NotImplementedError

    async def get(self, key: str, default: Any = None) -> Any:
        """The value under ``key``, or ``default`` if there is none (or it expired)."""
        data = await self._get(self.prefix + key)
        return default if data is None else _decode(data)

    async def set(self, key: str, value: Any, timeout: Any = _MISSING) -> None:
        """Store ``value`` under ``key`` for ``timeout`` seconds (None: no expiry)."""
        await self._set(self.prefix + key, _encode(value), self._timeout(timeout))

    async def add(self, key: str, value: Any, timeout: Any = _MISSING) -> bool:
        """Store ``value`` only if ``key`` holds nothing; return whether it did."""
        return await self._add(self.prefix + key, _encode(value), self._timeout(timeout))

    async def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it was there."""
        return await self._delete(self.prefix + key)

    async def get_or_set(
        self, key: str, default: Callable[[], Awaitable[Any]] | Any, timeout: Any = _MISSING
    ) -> Any:
        """The value under ``key``; if none, ``default`` (called and awaited if need be), stored."""
        value = await self.get(key, _MISSING)
        if value is not _MISSING:
            return value
        value = default() if callable(default) else default
        if isinstance(value, Awaitable):
            value = await value
        await self.set(key, value, timeout)
        return value

    async def close(self) -> None:
        """Release the backend's connections (nothing to do for memory)."""

    async def incr(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer under ``key`` (0 if absent), atomically; the new value."""
        return await self._incr(self.prefix + key, delta)


class MemoryCache(BaseCache):
    """A per-process cache, least recently used entries evicted past ``max_entries``."""

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        prefix: str = "",
        default_timeout: float | None = 300,
    ) -> None:
        super().__init__(prefix=prefix, default_timeout=default_timeout)
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()

    def _live(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        data, expires = entry
        if expires is not None and expires <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return data

    def _store(self, key: str, data: bytes, timeout: float | None) -> None:
        expires = None if timeout is None else time.monotonic() + timeout
        self._entries[key] = (data, expires)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def _get(self, key: str) -> bytes | None:
        return self._live(key)

    async def _set(self, key: str, data: bytes, timeout: float | None) -> None:
        self._store(key, data, timeout)

    async def _add(self, key: str, data: bytes, timeout: float | None) -> bool:
        if self._live(key) is not None:
            return False
        self._store(key, data, timeout)
        return True

    async def _delete(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    async def _incr(self, key: str, delta: int) -> int:
        data = self._live(key)
        value = (0 if data is None else int(data)) + delta
        expires = self._entries[key][1] if data is not None else None
        self._entries[key] = (str(value).encode("ascii"), expires)
        return value


class RedisCache(BaseCache):
    """A cache in Redis, shared by every worker process and machine.

    Args:
        url: The Redis URL (needs the ``redis`` package: ``fastcore-web[redis]``).
        client: A ``redis.asyncio.Redis`` client to use instead.
        prefix: Put before every key (default ``fastcore:cache:``).
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Any = None,
        prefix: str = "fastcore:cache:",
        default_timeout: float | None = 300,
    ) -> None:
        super().__init__(prefix=prefix, default_timeout=default_timeout)
        if client is None:
            try:
                import redis.asyncio
            except ImportError:
                raise ImportError(
                    "RedisCache needs the redis package: pip install 'fastcore-web[redis]'"
                ) from None
            client = redis.asyncio.Redis.from_url(url)
        self.client = client

    @staticmethod
    def _milliseconds(timeout: float | None) -> int | None:
        return None if timeout is None else max(1, int(timeout * 1000))

    async def _get(self, key: str) -> bytes | None:
        data: bytes | None = await self.client.get(key)
        return data

    async def _set(self, key: str, data: bytes, timeout: float | None) -> None:
        await self.client.set(key, data, px=self._milliseconds(timeout))

    async def _add(self, key: str, data: bytes, timeout: float | None) -> bool:
        return bool(await self.client.set(key, data, px=self._milliseconds(timeout), nx=True))

    async def _delete(self, key: str) -> bool:
        return bool(await self.client.delete(key))

    async def _incr(self, key: str, delta: int) -> int:
        return int(await self.client.incrby(key, delta))

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()
