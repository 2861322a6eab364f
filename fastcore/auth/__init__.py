"""Users, passwords, login and logout, permissions and API tokens.

::

    from fastcore.auth import Auth, auth_routes, login_required

    auth = Auth()
    auth.init_app(app)                 # after sessions and Database.init_app
    app.include(auth_routes(auth))     # /accounts/login, /logout, /signup, ...

See docs/auth.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastcore._lazy import lazy_exports

if TYPE_CHECKING:
    from fastcore.auth.backends import authenticate as authenticate
    from fastcore.auth.backends import login as login
    from fastcore.auth.backends import logout as logout
    from fastcore.auth.backends import set_password as set_password
    from fastcore.auth.config import Auth as Auth
    from fastcore.auth.config import get_auth as get_auth
    from fastcore.auth.decorators import current_user as current_user
    from fastcore.auth.decorators import login_required as login_required
    from fastcore.auth.decorators import permission_required as permission_required
    from fastcore.auth.decorators import require_permission as require_permission
    from fastcore.auth.decorators import require_scopes as require_scopes
    from fastcore.auth.decorators import require_staff as require_staff
    from fastcore.auth.decorators import require_user as require_user
    from fastcore.auth.decorators import scopes_required as scopes_required
    from fastcore.auth.decorators import staff_required as staff_required
    from fastcore.auth.hashers import PasswordHasher as PasswordHasher
    from fastcore.auth.middleware import AuthenticationMiddleware as AuthenticationMiddleware
    from fastcore.auth.models import AbstractUser as AbstractUser
    from fastcore.auth.models import AnonymousUser as AnonymousUser
    from fastcore.auth.models import APIToken as APIToken
    from fastcore.auth.models import Group as Group
    from fastcore.auth.models import Permission as Permission
    from fastcore.auth.models import User as User
    from fastcore.auth.permissions import add_permission as add_permission
    from fastcore.auth.permissions import add_to_group as add_to_group
    from fastcore.auth.permissions import create_permissions as create_permissions
    from fastcore.auth.permissions import has_perm as has_perm
    from fastcore.auth.redirects import safe_next as safe_next
    from fastcore.auth.routes import auth_routes as auth_routes
    from fastcore.auth.throttle import LoginThrottle as LoginThrottle
    from fastcore.auth.tokens import create_token as create_token
    from fastcore.auth.tokens import revoke_token as revoke_token
    from fastcore.auth.validators import validate_password as validate_password

__all__ = [
    "APIToken",
    "AbstractUser",
    "AnonymousUser",
    "Auth",
    "AuthenticationMiddleware",
    "Group",
    "LoginThrottle",
    "PasswordHasher",
    "Permission",
    "User",
    "add_permission",
    "add_to_group",
    "auth_routes",
    "authenticate",
    "create_permissions",
    "create_token",
    "current_user",
    "get_auth",
    "has_perm",
    "login",
    "login_required",
    "logout",
    "permission_required",
    "require_permission",
    "require_scopes",
    "require_staff",
    "require_user",
    "revoke_token",
    "safe_next",
    "scopes_required",
    "set_password",
    "staff_required",
    "validate_password",
]

# Loaded on first use: the command line imports fastcore.auth.cli without
# paying for SQLAlchemy and the rest of the package.
_LAZY = {
    "authenticate": "fastcore.auth.backends",
    "login": "fastcore.auth.backends",
    "logout": "fastcore.auth.backends",
    "set_password": "fastcore.auth.backends",
    "Auth": "fastcore.auth.config",
    "get_auth": "fastcore.auth.config",
    "current_user": "fastcore.auth.decorators",
    "login_required": "fastcore.auth.decorators",
    "permission_required": "fastcore.auth.decorators",
    "require_permission": "fastcore.auth.decorators",
    "require_scopes": "fastcore.auth.decorators",
    "require_staff": "fastcore.auth.decorators",
    "require_user": "fastcore.auth.decorators",
    "scopes_required": "fastcore.auth.decorators",
    "staff_required": "fastcore.auth.decorators",
    "PasswordHasher": "fastcore.auth.hashers",
    "AuthenticationMiddleware": "fastcore.auth.middleware",
    "AbstractUser": "fastcore.auth.models",
    "AnonymousUser": "fastcore.auth.models",
    "APIToken": "fastcore.auth.models",
    "Group": "fastcore.auth.models",
    "Permission": "fastcore.auth.models",
    "User": "fastcore.auth.models",
    "add_permission": "fastcore.auth.permissions",
    "add_to_group": "fastcore.auth.permissions",
    "create_permissions": "fastcore.auth.permissions",
    "has_perm": "fastcore.auth.permissions",
    "safe_next": "fastcore.auth.redirects",
    "auth_routes": "fastcore.auth.routes",
    "LoginThrottle": "fastcore.auth.throttle",
    "create_token": "fastcore.auth.tokens",
    "revoke_token": "fastcore.auth.tokens",
    "validate_password": "fastcore.auth.validators",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, __all__)
