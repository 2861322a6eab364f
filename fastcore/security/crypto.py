"""Cryptographic building blocks: constant-time comparison and random tokens.

Everything in fastcore that compares a secret (signatures, CSRF tokens, API
tokens) goes through :func:`constant_time_compare`, so the time a comparison
takes never tells an attacker how many leading characters were right.
"""

from __future__ import annotations

import base64
import hmac
import secrets

__all__ = ["b64decode", "b64encode", "constant_time_compare", "random_token"]


def constant_time_compare(a: str | bytes, b: str | bytes) -> bool:
    """Tell whether ``a`` equals ``b`` in time that depends only on their lengths."""
    if isinstance(a, str):
        a = a.encode("utf-8")
    if isinstance(b, str):
        b = b.encode("utf-8")
    return hmac.compare_digest(a, b)


def random_token(nbytes: int = 32) -> str:
    """Return a URL-safe random token carrying ``nbytes`` bytes of entropy."""
    if nbytes < 16:
        # SECURITY: below 128 bits a token can be guessed by brute force.
        raise ValueError("a security token needs at least 16 random bytes")
    return secrets.token_urlsafe(nbytes)


def b64encode(data: bytes) -> str:
    """URL-safe base64 without padding (safe in cookies, headers and URLs)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode :func:`b64encode` output; raises ``ValueError`` on malformed input."""
    try:
        raw = text.encode("ascii")
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (UnicodeEncodeError, ValueError) as exc:
        raise ValueError("malformed base64 text") from exc
