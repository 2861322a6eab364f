"""The auth commands: ``createsuperuser``, ``changepassword``, ``auth create-permissions``.

::

    fastcore createsuperuser --app myapp:app                     # prompts
    fastcore createsuperuser --app myapp:app --username admin --email a@example.com --no-input
        # the password comes from FASTCORE_SUPERUSER_PASSWORD
    fastcore changepassword --app myapp:app admin                # prompts twice
    fastcore auth --app myapp:app create-permissions

``--app`` (or ``FASTCORE_APP``) names the App set up with ``Database.init_app``
and ``Auth.init_app``. The main CLI adds these commands with :func:`register`
and hands them to :func:`run`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastcore.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fastcore.auth.config import Auth

__all__ = ["COMMANDS", "PASSWORD_VARIABLE", "register", "run"]

#: The commands this module adds to ``fastcore``.
COMMANDS = frozenset({"createsuperuser", "changepassword", "auth"})

#: Where ``--no-input`` takes the password from (never a command-line flag,
#: which other users of the machine could read in the process list).
PASSWORD_VARIABLE = "FASTCORE_SUPERUSER_PASSWORD"

T = TypeVar("T")


class CommandError(Exception):
    """A problem the command reports in one line, exiting with status 1."""


def register(subparsers: Any) -> None:
    """Add the auth commands to an argparse subparsers object."""

    def with_app(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument(
            "--app",
            default=os.environ.get("FASTCORE_APP"),
            help="module:attribute of the App; default $FASTCORE_APP",
        )
        parser.set_defaults(handler=run)
        return parser

    create = with_app(subparsers.add_parser("createsuperuser", help="create a superuser"))
    create.add_argument("--username", help="the login name (prompted if absent)")
    create.add_argument("--email", default=None, help="the email address (optional)")
    create.add_argument(
        "--no-input",
        action="store_true",
        help=f"never prompt; the password comes from ${PASSWORD_VARIABLE}",
    )
    change = with_app(subparsers.add_parser("changepassword", help="set a user's password"))
    change.add_argument("username", help="whose password to change")
    change.add_argument(
        "--no-input",
        action="store_true",
        help=f"never prompt; the password comes from ${PASSWORD_VARIABLE}",
    )
    auth = with_app(subparsers.add_parser("auth", help="auth maintenance"))
    actions = auth.add_subparsers(dest="auth_command", required=True)
    actions.add_parser(
        "create-permissions", help="create add/change/delete/view permissions for every model"
    )


def _find_auth(spec: str | None) -> tuple[Auth, Any]:
    from fastcore.app_loader import import_app
    from fastcore.auth.middleware import AuthenticationMiddleware
    from fastcore.orm.cli import find_database

    database = find_database(spec)
    app = import_app(spec or "")
    for middleware in getattr(app, "middleware", ()):
        if middleware.cls is AuthenticationMiddleware:
            return middleware.options["auth"], database
    raise ImproperlyConfigured(f"{spec} has no auth: call Auth(...).init_app(app)")


def _run_in_session(database: Any, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        async with database:
            async with database.session() as session:
                return await work(session)

    return asyncio.run(main())


def _new_password(auth: Auth, no_input: bool, username: str, email: str) -> str:
    from fastcore.auth.validators import validate_password

    if no_input:
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if not password:
            raise CommandError(f"--no-input needs the password in ${PASSWORD_VARIABLE}")
        problems = validate_password(
            password, username=username, email=email, validators=auth.validators
        )
        if problems:
            raise CommandError(" ".join(problems))
        return password
    for _ in range(3):
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("The passwords do not match.", file=sys.stderr)
            continue
        problems = validate_password(
            password, username=username, email=email, validators=auth.validators
        )
        if not problems:
            return password
        for problem in problems:
            print(problem, file=sys.stderr)
    raise CommandError("no acceptable password after 3 attempts")


def _create_superuser(args: argparse.Namespace) -> str:
    auth, database = _find_auth(args.app)
    username = args.username
    if not username:
        if args.no_input:
            raise CommandError("--no-input needs --username")
        username = input("Username: ").strip()
    email = args.email
    if email is None and not args.no_input:
        email = input("Email address (optional): ").strip()
    if not username:
        raise CommandError("a username is required")
    password = _new_password(auth, args.no_input, username, email or "")
    model = auth.user_model

    async def work(session: AsyncSession) -> str:
        from sqlalchemy import select

        if await session.scalar(select(model.id).where(model.username == username)) is not None:
            raise CommandError(f"the username {username!r} is taken")
        user = model(
            username=username,
            email=email or None,
            is_staff=True,
            is_superuser=True,
            password=await auth.hasher.hash_async(password),
        )
        session.add(user)
        return f"superuser {username!r} created"

    return _run_in_session(database, work)


def _change_password(args: argparse.Namespace) -> str:
    auth, database = _find_auth(args.app)
    model = auth.user_model

    async def find(session: AsyncSession) -> Any:
        from sqlalchemy import select

        return await session.scalar(select(model).where(model.username == args.username))

    user = _run_in_session(database, find)
    if user is None:
        raise CommandError(f"no user {args.username!r}")
    password = _new_password(auth, args.no_input, user.username, user.email or "")

    async def work(session: AsyncSession) -> str:
        stored = await session.get(model, user.id)
        assert stored is not None  # read a moment ago, in the same process
        stored.password = await auth.hasher.hash_async(password)
        return f"password of {args.username!r} changed (its sessions have ended)"

    return _run_in_session(database, work)


def _create_permissions(args: argparse.Namespace) -> str:
    from fastcore.auth.permissions import create_permissions

    _, database = _find_auth(args.app)

    async def work(session: AsyncSession) -> str:
        created = await create_permissions(session)
        return f"created {len(created)} permission(s)"

    return _run_in_session(database, work)


def run(args: argparse.Namespace) -> int:
    """Carry out a parsed auth command; return the exit status."""
    try:
        if args.command == "createsuperuser":
            message = _create_superuser(args)
        elif args.command == "changepassword":
            message = _change_password(args)
        else:
            message = _create_permissions(args)
    except ImproperlyConfigured as exc:
        print(f"fastcore {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (CommandError, EOFError, KeyboardInterrupt) as exc:
        print(f"fastcore {args.command}: error: {exc or 'cancelled'}", file=sys.stderr)
        return 1
    print(message)
    return 0
