"""Security building blocks: signing, tokens, secret keys and startup checks."""

from __future__ import annotations

from fastcore.security.crypto import constant_time_compare as constant_time_compare
from fastcore.security.crypto import random_token as random_token
from fastcore.security.keys import SecuritySettings as SecuritySettings
from fastcore.security.keys import resolve_secret_keys as resolve_secret_keys
from fastcore.security.signing import Signer as Signer

__all__ = [
    "SecuritySettings",
    "Signer",
    "constant_time_compare",
    "random_token",
    "resolve_secret_keys",
]
