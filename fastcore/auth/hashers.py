"""Password hashing with argon2id, parameters upgradable on login.

A stored hash carries its own parameters (``$argon2id$v=19$m=...,t=...,p=...``),
so raising the cost later only needs :meth:`PasswordHasher.needs_rehash` at the
next successful login: the user's password is then hashed again with the
current parameters.
"""

from __future__ import annotations

import asyncio

import argon2
import argon2.exceptions

__all__ = ["PasswordHasher", "TEST_HASHER"]


class PasswordHasher:
    """Hashes and verifies passwords with argon2id (argon2-cffi).

    Args:
        time_cost: Passes over the memory.
        memory_cost: Memory in KiB.
        parallelism: Lanes (threads) per hash.

    The defaults are argon2-cffi's (RFC 9106's second recommended profile,
    about 50 ms and 64 MiB per hash). Tests use :data:`TEST_HASHER`.
    """

    __slots__ = ("_argon2",)

    def __init__(
        self,
        *,
        time_cost: int = argon2.DEFAULT_TIME_COST,
        memory_cost: int = argon2.DEFAULT_MEMORY_COST,
        parallelism: int = argon2.DEFAULT_PARALLELISM,
    ) -> None:
        self._argon2 = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        """Return the encoded argon2id hash of ``password`` (a fresh salt each call)."""
        return self._argon2.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """Tell whether ``password`` matches ``encoded``; False for any malformed hash."""
        try:
            return self._argon2.verify(encoded, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        """Tell whether ``encoded`` was made with other parameters than the current ones."""
        try:
            return self._argon2.check_needs_rehash(encoded)
        except argon2.exceptions.InvalidHashError:
            return True

    # NOTE: a hash takes tens of milliseconds of CPU; the async forms run it in
    # a worker thread so the event loop keeps serving other requests.

    async def hash_async(self, password: str) -> str:
        """:meth:`hash` in a worker thread."""
        return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, encoded: str, password: str) -> bool:
        """:meth:`verify` in a worker thread."""
        return await asyncio.to_thread(self.verify, encoded, password)


#: Cheap parameters for test suites only (never in production).
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
