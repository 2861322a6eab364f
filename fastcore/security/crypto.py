"""Cryptographic building blocks: constant-time comparison and random tokens.

Everything in fastcore that compares a secret (signatures, CSRF tokens, API
tokens) goes through :func:`constant_time_compare`, so the time a comparison
takes never tells an attacker how many leading characters were right.
"""

from __future__ import annotations

import binascii
import hmac
import secrets

__all__ = [
    "b64decode",
    "b64encode",
    "b64encode_bytes",
    "constant_time_compare",
    "random_token",
]


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


# PERF: binascii and one translate instead of the base64 module's wrappers
# (several Python frames per call); every session cookie is decoded once per
# request (bench/micro/test_bench_security_stack.py). Same alphabet and the
# same lenient decoding as base64.urlsafe_b64decode.
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def b64encode_bytes(data: bytes) -> bytes:
    """:func:`b64encode` as ASCII bytes."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def b64encode(data: bytes) -> str:
    """URL-safe base64 without padding (safe in cookies, headers and URLs)."""
    return b64encode_bytes(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode :func:`b64encode` output; raises ``ValueError`` on malformed input."""
    try:
        raw = text.encode("ascii")
        return binascii.a2b_base64((raw + b"=" * (-len(raw) % 4)).translate(_FROM_URLSAFE))
    except (UnicodeEncodeError, ValueError) as exc:
        raise ValueError("malformed base64 text") from exc
