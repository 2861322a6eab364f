"""Access control for handlers: decorators and dependency providers.

Decorators, for handlers that take the request::

    @app.get("/notes/new")
    @login_required
    async def new_note(request: Request): ...

    @app.post("/notes/{note_id:int}/edit")
    @permission_required("notes.change_note")
    async def edit(request: Request, note_id: int): ...

Providers are plain ``async def provider(request) -> value`` functions for
typed handlers (``user: User = Depends(require_user)``) or to call yourself:
:func:`current_user`, :func:`require_user`, :func:`require_staff`,
:func:`require_permission` and :func:`require_scopes`.

An anonymous visitor of a browser page (``Accept: text/html``) is redirected
to the login page with ``?next=`` the page; API clients get 401 with
``WWW-Authenticate: Bearer``. A logged-in user without the permission gets 403.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from fastcore.auth.config import get_auth
from fastcore.auth.models import AbstractUser, AnonymousUser
from fastcore.auth.permissions import has_perm
from fastcore.auth.redirects import login_redirect_url
from fastcore.concurrency import run_in_threadpool
from fastcore.error_handlers import wants_html
from fastcore.exceptions import HTTPException
from fastcore.handlers import is_async_callable
from fastcore.requests import Request

if TYPE_CHECKING:
    from fastcore.auth.models import APIToken

__all__ = [
    "current_user",
    "login_required",
    "permission_required",
    "require_permission",
    "require_scopes",
    "require_staff",
    "require_user",
    "scopes_required",
    "staff_required",
]

F = TypeVar("F", bound=Callable[..., Any])
Check = Callable[[Request], Awaitable[Any]]


def _deny_anonymous(request: Request, login_url: str | None = None) -> NoReturn:
    if wants_html(request) and "authorization" not in request.headers:
        url = login_url or get_auth(request).login_url
        target = request.raw_path + (f"?{request.query_string}" if request.query_string else "")
        raise HTTPException(
            303, "Please log in to see this page.", {"location": login_redirect_url(url, target)}
        )
    raise HTTPException(401, "Authentication required.", {"www-authenticate": "Bearer"})


async def current_user(request: Request) -> AbstractUser | AnonymousUser:
    """The request's user, anonymous or not (never refuses)."""
    user: AbstractUser | AnonymousUser = request.user
    return user


async def require_user(request: Request) -> AbstractUser:
    """The logged-in, active user; anonymous requests are sent to log in (or 401)."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        _deny_anonymous(request)
    return user  # type: ignore[no-any-return]


async def require_staff(request: Request) -> AbstractUser:
    """A logged-in staff user; others get 403."""
    user = await require_user(request)
    if not user.is_staff:
        raise HTTPException(403, "This page is for staff members only.")
    return user


def require_permission(*permissions: str) -> Callable[[Request], Awaitable[AbstractUser]]:
    """A provider of the logged-in user holding every one of ``permissions`` (else 403)."""

    async def provider(request: Request) -> AbstractUser:
        user = await require_user(request)
        for permission in permissions:
            if not await has_perm(request, permission, user):
                raise HTTPException(403, f"You do not have the permission {permission!r}.")
        return user

    provider.__name__ = provider.__qualname__ = f"require_permission({', '.join(permissions)})"
    return provider


def require_scopes(*scopes: str) -> Callable[[Request], Awaitable[AbstractUser]]:
    """A provider of the user, refusing bearer tokens that lack one of ``scopes`` (403).

    Session logins are not limited by scopes: scopes narrow what a token may do.
    """
    wanted = frozenset(scopes)

    async def provider(request: Request) -> AbstractUser:
        user = await require_user(request)
        token: APIToken | None = getattr(request.state, "api_token", None)
        if token is not None and not wanted <= token.scope_set:
            missing = " ".join(sorted(wanted - token.scope_set))
            raise HTTPException(
                403,
                f"The token lacks the scope(s): {missing}.",
                {"www-authenticate": f'Bearer error="insufficient_scope", scope="{missing}"'},
            )
        return user

    provider.__name__ = provider.__qualname__ = f"require_scopes({', '.join(sorted(wanted))})"
    return provider


def _guard(check: Check) -> Callable[[F], F]:
    """Build a decorator that runs ``check(request)`` before the handler."""

    def decorator(endpoint: F) -> F:
        signature = inspect.signature(endpoint)
        request_name = next(
            (
                name
                for name, param in signature.parameters.items()
                if name == "request" or param.annotation in (Request, "Request")
            ),
            None,
        )
        is_async = is_async_callable(endpoint)

        @functools.wraps(endpoint)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request_name is None:
                # Passed by keyword, or alone and positionally by the fast call path.
                if "request" in kwargs:
                    request = kwargs.pop("request")
                else:
                    request, args = args[-1], args[:-1]
            else:
                request = next(
                    value for value in (*args, *kwargs.values()) if isinstance(value, Request)
                )
            await check(request)
            if is_async:
                return await endpoint(*args, **kwargs)
            return await run_in_threadpool(endpoint, *args, **kwargs)

        if request_name is None:
            # The handler does not take the request, but the check needs it:
            # ask the framework for it under the name "request".
            extra = inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY)
            wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
                parameters=[*signature.parameters.values(), extra]
            )
        return wrapper  # type: ignore[return-value]

    return decorator


def login_required(endpoint: F | None = None, *, login_url: str | None = None) -> Any:
    """Let only logged-in users in; others go to the login page with ``next``.

    Use as ``@login_required`` or ``@login_required(login_url="/signin")``.
    """

    async def check(request: Request) -> None:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            _deny_anonymous(request, login_url)

    decorator = _guard(check)
    return decorator(endpoint) if endpoint is not None else decorator


def permission_required(*permissions: str) -> Callable[[F], F]:
    """Let in only users with every permission (``"notes.change_note"``); others 403."""
    return _guard(require_permission(*permissions))


def staff_required(endpoint: F) -> F:
    """Let in only staff users; anonymous visitors log in first, others get 403."""
    return _guard(require_staff)(endpoint)


def scopes_required(*scopes: str) -> Callable[[F], F]:
    """Refuse bearer tokens without every one of ``scopes`` (403); anonymous 401."""
    return _guard(require_scopes(*scopes))
