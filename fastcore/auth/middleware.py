"""The authentication middleware: ``request.user`` from the session or a bearer token.

A request with no user id in its session and no ``Authorization: Bearer``
header gets an :class:`~fastcore.auth.models.AnonymousUser` without touching
the database. Otherwise the user is read with one query (by primary key for a
session, by token digest for a bearer token). A session whose stored digest
of the password hash no longer matches (the password was changed elsewhere)
is emptied: changing a password logs out every other session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastcore.auth.backends import SESSION_HASH_KEY, SESSION_USER_KEY
from fastcore.auth.config import Auth, current_user_var
from fastcore.auth.models import AbstractUser, AnonymousUser
from fastcore.auth.tokens import authenticate_token, bearer_token
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware
from fastcore.security.crypto import constant_time_compare

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["AuthenticationMiddleware"]

_ANONYMOUS = AnonymousUser()


class AuthenticationMiddleware(Middleware):
    """Set ``request.user`` (and ``request.state.api_token`` for bearer requests).

    Args:
        auth: The app's :class:`~fastcore.auth.Auth`.

    Needs ``request.db`` (``Database.init_app``) and, for browser logins,
    ``request.session`` (``SessionMiddleware``) outside it.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(self, next: Handler, *, auth: Auth) -> None:
        super().__init__(next)
        if not isinstance(auth, Auth):
            raise ImproperlyConfigured("AuthenticationMiddleware needs auth=Auth(...)")
        self.auth = auth

    async def __call__(self, request: Request) -> Response:
        """Resolve the user, then call the handler."""
        state: Any = request.state
        state.auth = self.auth
        user = await self._user(request)
        request.user = user
        current_user_var.set(user)
        try:
            return await self.next(request)
        finally:
            # NOTE: not reset(token): under eager dispatch a handler that
            # suspends finishes in a Task, whose context is a copy where the
            # token is invalid (ValueError, a 500). Requests handled without a
            # Task share one context, so leave no stale user behind.
            current_user_var.set(None)

    async def _user(self, request: Request) -> AbstractUser | AnonymousUser:
        raw = bearer_token(request.headers.get("authorization"))
        if raw is not None:
            found = await authenticate_token(request.db, self.auth.user_model, raw)
            if found is None:
                return _ANONYMOUS
            state: Any = request.state
            state.api_token = found[1]
            return found[0]
        session = _session_of(request)
        if session is None:
            return _ANONYMOUS
        user_id = session.get(SESSION_USER_KEY)
        if user_id is None:
            return _ANONYMOUS
        user: AbstractUser | None = None
        if isinstance(user_id, int):
            user = await request.db.get(self.auth.user_model, user_id)
        stored = session.get(SESSION_HASH_KEY)
        if (
            user is None
            or not user.is_active
            or not isinstance(stored, str)
            or not constant_time_compare(stored, user.session_hash())
        ):
            session.clear()  # deleted, deactivated, or the password changed since
            return _ANONYMOUS
        return user


def _session_of(request: Request) -> Any:
    try:
        return request.session
    except ImproperlyConfigured:
        return None  # an API-only app without sessions: bearer tokens only
