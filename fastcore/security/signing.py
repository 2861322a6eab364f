"""HMAC-SHA256 signed, timestamped values with key rotation.

A signed value reads ``<value>.<timestamp>.<signature>``: the value as given,
the signing time (seconds since the epoch, base 62) and an HMAC-SHA256 over
both, URL-safe base64. The value is readable by anyone; signing proves that
this server produced it, unchanged, at that time.

Key rotation: a :class:`Signer` takes a list of secrets. The first (newest)
signs; every one verifies, so values signed before a rotation stay valid until
the old key is dropped from the list.

Each purpose uses its own ``salt`` (sessions, password resets, ...), so a
value signed for one purpose is never accepted for another.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from collections.abc import Sequence
from typing import Any

import orjson

from fastcore.security.crypto import (
    b64decode,
    b64encode,
    b64encode_bytes,
    constant_time_compare,
)

__all__ = ["Signer"]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_INDEX = {char: index for index, char in enumerate(_BASE62)}


def _encode_time(seconds: int) -> str:
    digits = []
    while True:
        seconds, rest = divmod(seconds, 62)
        digits.append(_BASE62[rest])
        if not seconds:
            return "".join(reversed(digits))


# PERF: a session cookie's timestamp stays the same until the session is
# re-signed, so the same few values are decoded on every request.
@functools.lru_cache(maxsize=1024)
def _decode_time(text: str) -> int | None:
    if not text or len(text) > 12:
        return None
    total = 0
    for char in text:
        digit = _BASE62_INDEX.get(char)
        if digit is None:
            return None
        total = total * 62 + digit
    return total


class _HmacSha256:
    """HMAC-SHA256 (RFC 2104) under one key, with the padded-key states precomputed.

    PERF: copying two prepared hash states costs a fraction of setting up an
    HMAC per call (``hmac.digest`` re-derives the pads every time);
    tests/security check it against ``hmac.digest``.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:  # the SHA-256 block size
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def _as_bytes(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


class Signer:
    """Signs values with the newest secret and verifies them with any of them.

    Args:
        secret_keys: One secret, or a list with the newest first.
        salt: The purpose of the signatures; values signed with another salt
            never verify.

    Example::

        signer = Signer([new_key, old_key], salt="fastcore.sessions")
        token = signer.sign("user:42")
        signer.unsign(token, max_age=3600)   # "user:42", or None if forged/expired
    """

    __slots__ = ("_keys", "salt")

    def __init__(self, secret_keys: str | bytes | Sequence[str | bytes], *, salt: str) -> None:
        if isinstance(secret_keys, str | bytes):
            secret_keys = [secret_keys]
        if not secret_keys or not all(secret_keys):
            raise ValueError("a Signer needs at least one non-empty secret key")
        self.salt = salt
        # A key per purpose, derived from the secret: a signature made for one
        # salt is meaningless under another, and the raw secret is never used
        # as an HMAC key directly.
        purpose = b"fastcore.signing:" + salt.encode()
        self._keys = [
            _HmacSha256(hmac.digest(_as_bytes(secret), purpose, "sha256")) for secret in secret_keys
        ]

    def _signature(self, key: _HmacSha256, message: bytes) -> str:
        return b64encode(key.digest(message))

    def sign(self, value: str, *, timestamp: float | None = None) -> str:
        """Return ``value`` signed with the newest key and the current time."""
        moment = int(time.time() if timestamp is None else timestamp)
        message = f"{value}.{_encode_time(moment)}"
        return f"{message}.{self._signature(self._keys[0], message.encode('utf-8'))}"

    def unsign_with_timestamp(
        self, signed: str, *, max_age: float | None = None
    ) -> tuple[str, int] | None:
        """Return ``(value, signed_at)``, or None if forged, tampered or older than ``max_age``."""
        message, dot, signature = signed.rpartition(".")
        value, dot2, stamp = message.rpartition(".")
        if not dot or not dot2:
            return None
        try:
            encoded = message.encode("utf-8")
            given = signature.encode("ascii")
        except UnicodeEncodeError:  # never signed here: signatures are base64
            return None
        # SECURITY: try every key and compare in constant time; stopping at the
        # first match is fine (it reveals which key, not the signature).
        # PERF: bytes compared, a plain loop (no generator): this runs for
        # every request carrying a session cookie.
        for key in self._keys:
            if constant_time_compare(b64encode_bytes(key.digest(encoded)), given):
                break
        else:
            return None
        signed_at = _decode_time(stamp)
        if signed_at is None:
            return None
        if max_age is not None and time.time() - signed_at > max_age:
            return None
        return value, signed_at

    def unsign(self, signed: str, *, max_age: float | None = None) -> str | None:
        """Return the value, or None if forged, tampered or older than ``max_age`` seconds."""
        result = self.unsign_with_timestamp(signed, max_age=max_age)
        return None if result is None else result[0]

    def sign_object(self, obj: Any, *, timestamp: float | None = None) -> str:
        """Sign a JSON-serializable object (encoded as compact JSON, base64)."""
        return self.sign(b64encode(orjson.dumps(obj)), timestamp=timestamp)

    def unsign_object(self, signed: str, *, max_age: float | None = None) -> Any:
        """Return the object signed by :meth:`sign_object`, or None when invalid."""
        value = self.unsign(signed, max_age=max_age)
        if value is None:
            return None
        try:
            return orjson.loads(b64decode(value))
        except (ValueError, orjson.JSONDecodeError):
            return None
