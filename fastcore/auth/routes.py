"""The ready-made account pages: login, logout, sign-up, password change and reset.

::

    app.include(auth_routes(auth))                 # under /accounts
    app.include(auth_routes(auth, prefix="/users"))

Routes (names prefixed ``auth.``): ``login`` (GET, POST), ``logout`` (POST),
``signup`` (GET, POST; when ``auth.signup``), ``password_change`` (GET, POST),
``password_reset`` (GET, POST) and ``password_reset_confirm`` (GET, POST,
``?token=``). Pages render ``auth/<name>.html``; an app replaces one by
putting its own ``templates/auth/<name>.html`` in its template folders.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fastcore.app import RouteGroup
from fastcore.auth.backends import authenticate, find_user, login, logout, set_password
from fastcore.auth.config import Auth, get_auth
from fastcore.auth.decorators import login_required
from fastcore.auth.forms import read_form
from fastcore.auth.redirects import safe_next
from fastcore.auth.reset import check_reset_token, make_reset_token
from fastcore.auth.validators import validate_password
from fastcore.mail import EmailMessage
from fastcore.responses import HTMLResponse, RedirectResponse
from fastcore.templating.extension import Templates

if TYPE_CHECKING:
    from fastcore.requests import Request

__all__ = ["INVALID_LOGIN", "auth_routes"]

#: The one message for a wrong password, an unknown user and an inactive account.
INVALID_LOGIN = "Please enter a correct username and password. Both are case-sensitive."

_USERNAME = re.compile(r"[\w.@+-]{1,150}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}")


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    auth = get_auth(request)
    context.setdefault("errors", [])
    return Templates.of(request.app).render(
        f"auth/{template}.html",
        status_code=status,
        site_name=auth.site_name,
        user=request.user,
        signup_enabled=auth.signup,
        **context,
    )


def _new_password_problems(
    auth: Auth, fields: dict[str, str], username: str, email: str
) -> list[str]:
    password, again = fields.get("new_password1", ""), fields.get("new_password2", "")
    if password != again:
        return ["The two passwords do not match."]
    return validate_password(password, username=username, email=email, validators=auth.validators)


async def login_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Show the login form (GET) or log in (POST)."""
    auth = get_auth(request)
    next_url = safe_next(request.query.get("next"), "")
    if request.method == "GET":
        return _render(request, "login", next=next_url, username="")
    fields = await read_form(request)
    username, password = fields.get("username", ""), fields.get("password", "")
    next_url = safe_next(fields.get("next"), next_url)
    wait = await auth.throttle.hit(request, username)
    if wait is not None:
        response = _render(
            request,
            "login",
            429,
            next=next_url,
            username=username,
            errors=[f"Too many login attempts. Try again in {wait} seconds."],
        )
        response.headers["retry-after"] = str(wait)
        return response
    user = await authenticate(request, username, password)
    if user is None:
        return _render(
            request, "login", 400, next=next_url, username=username, errors=[INVALID_LOGIN]
        )
    await login(request, user)
    return RedirectResponse(next_url or auth.login_redirect_url, status_code=303)


async def logout_page(request: Request) -> RedirectResponse:
    """Log out (POST only, so a cross-site image cannot log a user out) and redirect."""
    logout(request)
    return RedirectResponse(get_auth(request).logout_redirect_url, status_code=303)


async def signup_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Show the sign-up form (GET) or create the account and log it in (POST)."""
    auth = get_auth(request)
    if request.method == "GET":
        return _render(request, "signup", username="", email="")
    fields = await read_form(request)
    username = fields.get("username", "").strip()
    email = fields.get("email", "").strip()
    errors: list[str] = []
    if not _USERNAME.fullmatch(username):
        errors.append("Choose a username of 1 to 150 letters, digits and . @ + - _ characters.")
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        errors.append("Enter a valid email address.")
    errors += _new_password_problems(auth, fields, username, email)
    model = auth.user_model
    if not errors:
        taken = await request.db.scalar(
            select(model.id).where(func.lower(model.username) == username.lower())
        )
        if taken is not None:
            errors.append("That username is taken.")
    if errors:
        return _render(request, "signup", 400, username=username, email=email, errors=errors)
    user = model(username=username, email=email or None)
    await set_password(auth, user, fields["new_password1"])
    try:
        async with request.db.begin_nested():
            request.db.add(user)
    except IntegrityError:
        # Taken between the check above and this insert (a concurrent sign-up).
        errors = ["That username is taken."]
        return _render(request, "signup", 400, username=username, email=email, errors=errors)
    await login(request, user)
    return RedirectResponse(auth.login_redirect_url, status_code=303)


@login_required
async def password_change_page(request: Request) -> HTMLResponse | RedirectResponse:
    """Change the logged-in user's password; other sessions of the user end."""
    auth = get_auth(request)
    if request.method == "GET":
        return _render(request, "password_change")
    user = request.user
    fields = await read_form(request)
    errors: list[str] = []
    wait = await auth.throttle.hit(request, user.username, "password-change")
    if wait is not None:
        errors.append(f"Too many attempts. Try again in {wait} seconds.")
    elif not await auth.hasher.verify_async(user.password, fields.get("old_password", "")):
        errors.append("Your old password was entered incorrectly.")
    else:
        errors = _new_password_problems(auth, fields, user.username, user.email or "")
    if errors:
        return _render(request, "password_change", 400, errors=errors)
    await set_password(auth, user, fields["new_password1"])
    await login(request, user)  # this session stays, with the new hash's digest
    return _render(request, "password_change_done")


async def password_reset_page(request: Request) -> HTMLResponse:
    """Ask for an email address and mail a reset link to its account, if there is one."""
    auth = get_auth(request)
    if request.method == "GET":
        return _render(request, "password_reset", email="")
    fields = await read_form(request)
    address = fields.get("email", "").strip()
    wait = await auth.throttle.hit(request, address, "password-reset")
    if wait is not None:
        errors = [f"Too many requests. Try again in {wait} seconds."]
        return _render(request, "password_reset", 429, email=address, errors=errors)
    user = await find_user(request.db, auth, address) if "@" in address else None
    if user is not None and user.is_active and user.password and user.email:
        token = make_reset_token(auth, user)
        link = (
            f"{request.scheme}://{request.host}"
            f"{request.url_for('auth.password_reset_confirm')}?token={token}"
        )
        body = (
            Templates.of(request.app)
            .environment.get_template("auth/password_reset_email.txt")
            .render({"user": user, "link": link, "site_name": auth.site_name})
        )
        message = EmailMessage(
            f"Password reset on {auth.site_name}", body, [user.email], auth.from_email
        )
        await auth.mail.send([message])
    # The same page either way: it must not tell which addresses have accounts.
    return _render(request, "password_reset_sent", email=address)


async def password_reset_confirm_page(request: Request) -> HTMLResponse:
    """Set a new password with a valid reset token (the link from the email)."""
    auth = get_auth(request)
    if request.method == "GET":
        token = request.query.get("token", "")
        fields: dict[str, str] = {}
    else:
        fields = await read_form(request)
        token = fields.get("token", "")
    user = await check_reset_token(request.db, auth, token)
    if user is None:
        return _render(request, "password_reset_invalid", 400)
    if request.method == "GET":
        return _render(request, "password_reset_confirm", token=token)
    errors = _new_password_problems(auth, fields, user.username, user.email or "")
    if errors:
        return _render(request, "password_reset_confirm", 400, token=token, errors=errors)
    await set_password(auth, user, fields["new_password1"])
    return _render(request, "password_reset_complete")


def auth_routes(auth: Auth, prefix: str = "/accounts") -> RouteGroup:
    """The account pages as a route group named ``auth`` (``url_for("auth.login")``)."""
    group = RouteGroup(prefix, name="auth")
    group.add_route("/login", login_page, ("GET", "POST"), name="login")
    group.add_route("/logout", logout_page, ("POST",), name="logout")
    if auth.signup:
        group.add_route("/signup", signup_page, ("GET", "POST"), name="signup")
    group.add_route(
        "/password/change", password_change_page, ("GET", "POST"), name="password_change"
    )
    group.add_route("/password/reset", password_reset_page, ("GET", "POST"), name="password_reset")
    group.add_route(
        "/password/reset/confirm",
        password_reset_confirm_page,
        ("GET", "POST"),
        name="password_reset_confirm",
    )
    return group
