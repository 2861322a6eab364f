"""Checking credentials, and logging a user in and out of the request's session.

::

    user = await authenticate(request, username, password)
    if user is not None:
        await login(request, user)      # new session id and CSRF token
    ...
    logout(request)                     # session emptied, new id

:func:`authenticate` takes the same time whether the user exists or not (an
unknown user's password is checked against a dummy hash), and says only
"no" in either case, so it cannot be used to find out which accounts exist.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from fastcore.auth.config import Auth, current_user_var, get_auth
from fastcore.auth.models import AbstractUser, AnonymousUser
from fastcore.middleware.csrf import rotate_csrf_token

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fastcore.requests import Request

__all__ = [
    "SESSION_HASH_KEY",
    "SESSION_USER_KEY",
    "authenticate",
    "find_user",
    "login",
    "logout",
    "set_password",
]

#: Session keys: the user's id, and the digest of their password hash.
SESSION_USER_KEY = "_auth_user_id"
SESSION_HASH_KEY = "_auth_user_hash"


async def find_user(db: AsyncSession, auth: Auth, login_name: str) -> AbstractUser | None:
    """The user whose username is ``login_name`` (or, with an ``@``, whose email is)."""
    model = auth.user_model
    login_name = login_name.strip()
    if not login_name or len(login_name) > 254:
        return None
    user = await db.scalar(select(model).where(model.username == login_name))
    if user is None and "@" in login_name:
        user = await db.scalar(
            select(model)
            .where(func.lower(model.email) == login_name.lower())
            .order_by(model.id)
            .limit(1)
        )
    return user


async def authenticate(request: Request, login_name: str, password: str) -> AbstractUser | None:
    """Return the active user with these credentials, or None.

    An outdated hash (parameters raised since) is replaced on success.
    """
    auth = get_auth(request)
    user = await find_user(request.db, auth, login_name)
    # SECURITY: always run one hash verification, so the response time does
    # not tell a wrong password from an unknown user.
    encoded = user.password if user is not None and user.password else auth.dummy_hash
    valid = await auth.hasher.verify_async(encoded, password)
    if user is None or not valid or not user.is_active or not user.password:
        return None
    if auth.hasher.needs_rehash(user.password):
        user.password = await auth.hasher.hash_async(password)
    return user


async def set_password(auth: Auth, user: AbstractUser, password: str) -> None:
    """Hash ``password`` (in a worker thread) and store it on ``user``.

    Every session of the user that stored the old hash's digest ends.
    """
    user.password = await auth.hasher.hash_async(password)


async def login(request: Request, user: AbstractUser) -> None:
    """Log ``user`` in: a new session id and CSRF token, then the user's id in the session.

    A session that belonged to another user is emptied first.
    """
    session = request.session
    previous = session.get(SESSION_USER_KEY)
    if previous is not None and previous != user.id:
        session.clear()
    else:
        # SECURITY: a new id defeats session fixation: an id planted before
        # the login is worthless after it.
        session.rotate()
    rotate_csrf_token(request)
    session[SESSION_USER_KEY] = user.id
    session[SESSION_HASH_KEY] = user.session_hash()
    user.last_login = datetime.datetime.now(datetime.UTC)
    request.user = user
    current_user_var.set(user)


def logout(request: Request) -> None:
    """Log the user out: the session is emptied (and its server-side record deleted)."""
    request.session.clear()
    anonymous = AnonymousUser()
    request.user = anonymous
    current_user_var.set(anonymous)
