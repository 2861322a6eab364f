"""API tokens: created and revoked per user, stored as SHA-256 digests, with scopes.

::

    raw, token = await create_token(request.db, user, name="ci", scopes=["notes:read"])
    # show ``raw`` once; only its digest is stored

    curl -H "Authorization: Bearer $RAW" https://example.com/api/notes

The authentication middleware accepts ``Authorization: Bearer <token>``;
:func:`require_scopes` refuses token requests that lack a scope. A request
authenticated by a bearer token and sending no cookies is exempt from CSRF
checks: a browser never attaches such a header on its own, so there is
nothing a cross-site page could forge.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from fastcore.auth.models import AbstractUser, APIToken
from fastcore.security.crypto import random_token

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "TOKEN_PREFIX",
    "authenticate_token",
    "bearer_token",
    "create_token",
    "revoke_token",
    "token_digest",
]

#: Marks fastcore tokens, so secret scanners can recognize a leaked one.
TOKEN_PREFIX = "fct_"


def token_digest(raw: str) -> str:
    """The SHA-256 hex digest stored for a token.

    A plain hash suffices (no salt, no slow hash): the token carries 256
    random bits, so there is nothing to guess, and lookups stay one indexed query.
    """
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 200:
        return None
    return value


async def create_token(
    db: AsyncSession,
    user: AbstractUser,
    *,
    name: str = "",
    scopes: Iterable[str] = (),
    expires_in: datetime.timedelta | None = None,
) -> tuple[str, APIToken]:
    """Create a token for ``user``; return the raw token (shown once) and its row.

    Raises:
        ValueError: A scope with spaces, a name over 100 characters or
            scopes over 1000 characters together.
    """
    scope_list = sorted(set(scopes))
    for scope in scope_list:
        if not scope or any(char.isspace() or char == "\x00" for char in scope):
            raise ValueError(f"invalid token scope {scope!r}: scopes are words without spaces")
    # The column sizes (APIToken.name, APIToken.scopes): refused here, not by the database.
    if len(name) > 100 or len(" ".join(scope_list)) > 1000:
        raise ValueError("a token name has at most 100 characters, its scopes 1000 together")
    raw = TOKEN_PREFIX + random_token(32)
    expires_at = None
    if expires_in is not None:
        expires_at = datetime.datetime.now(datetime.UTC) + expires_in
    token = APIToken(
        user_id=user.id,
        name=name,
        digest=token_digest(raw),
        scopes=" ".join(scope_list),
        expires_at=expires_at,
    )
    db.add(token)
    await db.flush()
    return raw, token


async def revoke_token(db: AsyncSession, user: AbstractUser, token_id: int) -> bool:
    """Delete one of ``user``'s tokens; tell whether it existed."""
    result = await db.execute(
        delete(APIToken).where(APIToken.id == token_id, APIToken.user_id == user.id)
    )
    return bool(getattr(result, "rowcount", 0))


async def authenticate_token(
    db: AsyncSession, user_model: type[AbstractUser], raw: str
) -> tuple[AbstractUser, APIToken] | None:
    """The active user and the token for ``raw``, or None (unknown, expired, inactive)."""
    # NOTE: the lookup compares digests in SQL; its timing can only reveal
    # digest prefixes, which say nothing about the 256-bit token itself.
    row = (
        await db.execute(
            select(user_model, APIToken)
            .join(APIToken, APIToken.user_id == user_model.id)
            .where(APIToken.digest == token_digest(raw))
        )
    ).first()
    if row is None:
        return None
    user, token = row
    now = datetime.datetime.now(datetime.UTC)
    if not user.is_active or (token.expires_at is not None and token.expires_at <= now):
        return None
    token.last_used_at = now
    return user, token
