"""The secret key: where it comes from, what counts as weak, and rotation.

Production (``debug`` off): a missing or weak key is an
:class:`~fastcore.exceptions.ImproperlyConfigured` error at startup, because a
guessable key lets anyone forge sessions. Development (``debug`` on): a random
key is generated once per process and a warning says so (sessions then do not
survive a restart and are not shared between worker processes).

Sources, first found wins: the ``secret_key`` argument, then the
``FASTCORE_SECRET_KEY`` environment variable. Old keys that should still
verify (key rotation) come from ``fallbacks`` or
``FASTCORE_SECRET_KEY_FALLBACKS`` (comma-separated).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping, Sequence

from fastcore.config import Settings
from fastcore.exceptions import ImproperlyConfigured

__all__ = [
    "MIN_SECRET_KEY_LENGTH",
    "SecuritySettings",
    "debug_from_env",
    "resolve_secret_keys",
    "secret_key_problem",
]

logger = logging.getLogger("fastcore.security")

#: The shortest key accepted in production (32 characters of a random token).
MIN_SECRET_KEY_LENGTH = 32

_PLACEHOLDERS = ("changeme", "change-me", "change_me", "insecure", "placeholder", "xxxxxx")

_generated_key: str | None = None


#: The settings class that carries the security fields. They live on
#: :class:`fastcore.config.Settings` itself (``secret_key``, ``allowed_hosts``,
#: ...); this name is kept for code written when they were separate.
SecuritySettings = Settings


def secret_key_problem(key: str) -> str | None:
    """Say why ``key`` is unfit for production, or return None when it is fine."""
    if not key:
        return "no secret key is set"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"the secret key is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if len(set(key)) < 10:
        return "the secret key uses fewer than 10 distinct characters"
    lowered = key.lower()
    if any(word in lowered for word in _PLACEHOLDERS):
        return "the secret key looks like a placeholder"
    return None


def debug_from_env(environ: Mapping[str, str]) -> bool:
    """Read ``FASTCORE_DEBUG`` the way Settings does."""
    return environ.get("FASTCORE_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def resolve_secret_keys(
    secret_key: str | Sequence[str] | None = None,
    *,
    fallbacks: Sequence[str] = (),
    debug: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Return the keys to sign with (newest first), validated for the mode.

    Args:
        secret_key: The key, or a list of keys newest first; None reads
            ``FASTCORE_SECRET_KEY``.
        fallbacks: Older keys that still verify; empty reads
            ``FASTCORE_SECRET_KEY_FALLBACKS``.
        debug: Development mode; None reads ``FASTCORE_DEBUG``.
        environ: The environment to read (``os.environ`` by default).

    Raises:
        ImproperlyConfigured: in production, when the key is missing or weak.
    """
    global _generated_key
    environ = os.environ if environ is None else environ
    if debug is None:
        debug = debug_from_env(environ)
    if secret_key is None:
        secret_key = environ.get("FASTCORE_SECRET_KEY", "")
    keys = [secret_key] if isinstance(secret_key, str) else list(secret_key)
    if not fallbacks:
        raw = environ.get("FASTCORE_SECRET_KEY_FALLBACKS", "")
        fallbacks = [item.strip() for item in raw.split(",") if item.strip()]
    keys = [key for key in keys if key] + [key for key in fallbacks if key]
    if not keys:
        if not debug:
            raise ImproperlyConfigured(
                "no secret key is set: set FASTCORE_SECRET_KEY (or pass secret_key=...) to "
                'the output of: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        if _generated_key is None:
            _generated_key = secrets.token_urlsafe(48)
            logger.warning(
                "debug mode: no secret key set, generated a random one for this process; "
                "sessions will not survive a restart or be shared between workers"
            )
        return [_generated_key]
    problem = secret_key_problem(keys[0])
    if problem is not None:
        if not debug:
            raise ImproperlyConfigured(
                f"{problem}: set FASTCORE_SECRET_KEY to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters (secrets.token_urlsafe(48))"
            )
        logger.warning("debug mode: %s (refused in production)", problem)
    return keys
