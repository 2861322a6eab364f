"""The auth configuration an app sets up once: ``Auth(...).init_app(app)``.

::

    auth = Auth(secret_key=settings.secret_key, mail=FileMailBackend("outbox"))
    auth.init_app(app)                       # request.user, templates, current_user()
    app.include(auth_routes(auth))           # /accounts/login, /logout, ...

``init_app`` must run after the session middleware and ``Database.init_app``
(the authentication middleware reads ``request.session`` and ``request.db``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fastcore.auth.hashers import PasswordHasher
from fastcore.auth.throttle import LoginThrottle
from fastcore.auth.validators import PasswordValidator, default_validators
from fastcore.exceptions import ImproperlyConfigured
from fastcore.mail import ConsoleMailBackend, MailBackend
from fastcore.security.keys import resolve_secret_keys
from fastcore.security.signing import Signer

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.auth.models import AbstractUser, AnonymousUser
    from fastcore.middleware_base import MiddlewareSpec
    from fastcore.requests import Request

__all__ = ["Auth", "get_auth"]

#: The user of the request being handled, for the ``current_user()`` template global.
current_user_var: contextvars.ContextVar[AbstractUser | AnonymousUser | None] = (
    contextvars.ContextVar("fastcore_auth_user", default=None)
)


class Auth:
    """Everything the auth views, middleware and decorators share.

    Args:
        user_model: The user class (a subclass of
            :class:`~fastcore.auth.models.User` adding fields); the default
            :class:`~fastcore.auth.models.User` otherwise.
        hasher: The password hasher (argon2id with argon2-cffi's defaults).
        validators: Password validators for sign-up, changes and resets.
        secret_key: Signs password-reset tokens; None uses the app's
            ``settings.secret_key`` (``FASTCORE_SECRET_KEY``).
        login_url: Where ``@login_required`` sends anonymous visitors.
        login_redirect_url: Where a login goes when no safe ``next`` is given.
        logout_redirect_url: Where a logout goes.
        throttle: Login attempt limits; by default 5/minute per account and
            20/minute per address, counted in the app's rate limiter storage
            when ``RateLimitMiddleware`` was given one.
        mail: Sends password-reset emails (printed to stdout by default).
        from_email: The sender of those emails.
        reset_max_age: Seconds a password-reset link stays valid.
        signup: Whether :func:`~fastcore.auth.routes.auth_routes` offers sign-up.
        site_name: Shown in emails and page titles.
    """

    def __init__(
        self,
        *,
        user_model: type[AbstractUser] | None = None,
        hasher: PasswordHasher | None = None,
        validators: Sequence[PasswordValidator] | None = None,
        secret_key: str | Sequence[str] | None = None,
        login_url: str = "/accounts/login",
        login_redirect_url: str = "/",
        logout_redirect_url: str = "/",
        throttle: LoginThrottle | None = None,
        mail: MailBackend | None = None,
        from_email: str = "webmaster@localhost",
        reset_max_age: int = 3600,
        signup: bool = True,
        site_name: str = "fastcore",
    ) -> None:
        self._user_model = user_model
        self.hasher = hasher or PasswordHasher()
        self.validators = list(validators) if validators is not None else default_validators()
        self._secret_key = secret_key
        self._signers: dict[str, Signer] = {}
        self.login_url = login_url
        self.login_redirect_url = login_redirect_url
        self.logout_redirect_url = logout_redirect_url
        self._throttle = throttle
        self.mail: MailBackend = mail or ConsoleMailBackend()
        self.from_email = from_email
        self.reset_max_age = reset_max_age
        self.signup = signup
        self.site_name = site_name
        self._dummy_hash: str | None = None
        self._app: App | None = None

    @property
    def user_model(self) -> type[AbstractUser]:
        """The user class in use."""
        if self._user_model is None:
            from fastcore.auth.models import User

            self._user_model = User
        return self._user_model

    @property
    def throttle(self) -> LoginThrottle:
        """The login throttle (memory counters unless set up otherwise)."""
        if self._throttle is None:
            from fastcore.middleware.rate_limit import RateLimitMiddleware

            # Read when first needed: the app's default security stack (with
            # its rate limiter) is only put in place when the app starts.
            storage = None
            for spec in _flat_specs(self._app.middleware if self._app is not None else ()):
                if spec.cls is RateLimitMiddleware:
                    storage = spec.options.get("storage")
            self._throttle = LoginThrottle(storage=storage)
        return self._throttle

    @property
    def dummy_hash(self) -> str:
        """A hash to verify against for unknown users, so they take as long as real ones."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("fastcore: no such user")
        return self._dummy_hash

    def signer(self, purpose: str) -> Signer:
        """A signer for ``purpose`` (its own salt) with the app's secret keys."""
        signer = self._signers.get(purpose)
        if signer is None:
            settings = self._app.settings if self._app is not None else None
            keys = resolve_secret_keys(
                self._secret_key or getattr(settings, "secret_key", None) or None,
                fallbacks=getattr(settings, "secret_key_fallbacks", ()),
                debug=getattr(settings, "debug", None),
            )
            signer = self._signers[purpose] = Signer(keys, salt=purpose)
        return signer

    def init_app(self, app: App) -> None:
        """Install the authentication middleware, the templates and ``current_user()``.

        Call it after the session middleware and ``Database.init_app(app)``.
        """
        from fastcore.auth.middleware import AuthenticationMiddleware
        from fastcore.templating import ChoiceLoader, PackageLoader
        from fastcore.templating.extension import Templates

        # The secret key and the rate limiter are read from the app when first
        # needed, so settings changed after this call still count.
        self._app = app
        app.add_middleware(AuthenticationMiddleware, auth=self)
        app.on_startup(self._check_middleware_order)
        templates = Templates.of(app).environment
        if templates.loader is None:
            raise ImproperlyConfigured("the app's template environment has no loader")
        # The app's own folders come first: an app overrides a page by adding
        # templates/auth/<name>.html.
        templates.loader = ChoiceLoader([templates.loader, PackageLoader("fastcore.auth")])
        app.template_globals.setdefault("current_user", current_user_var.get)

    def _check_middleware_order(self) -> None:
        """Fail at startup when sessions or the database come inside the auth middleware."""
        from fastcore.auth.middleware import AuthenticationMiddleware
        from fastcore.middleware.sessions import SessionMiddleware
        from fastcore.orm.session import DatabaseSessionMiddleware

        assert self._app is not None  # set by init_app, which registers this hook
        middleware = self._app.middleware
        position = [spec.cls for spec in middleware].index(AuthenticationMiddleware)
        inside = {spec.cls for spec in _flat_specs(middleware[position:])}
        for needed, fix in (
            (SessionMiddleware, "add the SessionMiddleware"),
            (DatabaseSessionMiddleware, "call Database.init_app(app)"),
        ):
            if needed in inside:
                raise ImproperlyConfigured(
                    f"the authentication middleware needs {needed.__name__} outside it: "
                    f"{fix} before Auth.init_app(app)"
                )


def _flat_specs(specs: Iterable[MiddlewareSpec]) -> Iterator[MiddlewareSpec]:
    """The middleware specs, with the layers of combined middleware (``layers=``) spelled out."""
    for spec in specs:
        yield spec
        yield from _flat_specs(spec.options.get("layers", ()))


def get_auth(request: Request) -> Auth:
    """The :class:`Auth` of the app serving ``request``.

    Raises:
        ImproperlyConfigured: The authentication middleware is not installed.
    """
    auth: Any = getattr(request.state, "auth", None)
    if not isinstance(auth, Auth):
        raise ImproperlyConfigured(
            "auth needs the authentication middleware: Auth(...).init_app(app), after the "
            "session middleware and Database.init_app(app)"
        )
    return auth
