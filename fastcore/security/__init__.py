"""Security building blocks: signing, tokens, secret keys, the default stack and checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastcore._lazy import lazy_exports
from fastcore.checks import CheckMessage as CheckMessage
from fastcore.security.crypto import constant_time_compare as constant_time_compare
from fastcore.security.crypto import random_token as random_token
from fastcore.security.keys import SecuritySettings as SecuritySettings
from fastcore.security.keys import resolve_secret_keys as resolve_secret_keys
from fastcore.security.signing import Signer as Signer

if TYPE_CHECKING:
    from fastcore.security.checks import check_security as check_security
    from fastcore.security.default_layers import default_middleware as default_middleware

__all__ = [
    "CheckMessage",
    "SecuritySettings",
    "Signer",
    "check_security",
    "constant_time_compare",
    "default_middleware",
    "random_token",
    "resolve_secret_keys",
]

# The middleware modules import this package's building blocks, so the names
# that import the middleware are loaded on first use (no import cycle).
_LAZY = {
    "check_security": "fastcore.security.checks",
    "default_middleware": "fastcore.security.default_layers",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, __all__)
