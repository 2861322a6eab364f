"""Password-reset tokens: signed, expiring, and usable once.

A token is the user's id and a fingerprint of their password hash and last
login time, signed with the app's secret key (salt
``fastcore.auth.password-reset``) and timestamped. It stops working when:

- it is older than ``Auth.reset_max_age`` seconds;
- the password changed (the reset itself, so a link works once);
- the user logged in since it was made;
- the secret key it was signed with is no longer configured.

Nothing is stored on the server.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from fastcore.auth.models import AbstractUser
from fastcore.security.crypto import constant_time_compare

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fastcore.auth.config import Auth

__all__ = ["check_reset_token", "make_reset_token"]

SALT = "fastcore.auth.password-reset"


def _fingerprint(user: AbstractUser) -> str:
    last_login = user.last_login.timestamp() if user.last_login is not None else 0.0
    state = f"{user.id}|{user.password}|{last_login:.6f}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def make_reset_token(auth: Auth, user: AbstractUser) -> str:
    """A URL-safe token that lets its holder set a new password for ``user``."""
    return auth.signer(SALT).sign_object([user.id, _fingerprint(user)])


async def check_reset_token(db: AsyncSession, auth: Auth, token: str) -> AbstractUser | None:
    """The active user the token was made for, or None (forged, expired or used)."""
    if not token or len(token) > 500:
        return None
    payload = auth.signer(SALT).unsign_object(token, max_age=auth.reset_max_age)
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and isinstance(payload[1], str)
    ):
        return None
    user = await db.get(auth.user_model, payload[0])
    if user is None or not user.is_active:
        return None
    if not constant_time_compare(_fingerprint(user), payload[1]):
        return None
    return user
