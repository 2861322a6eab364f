"""Sessions: ``request.session``, a dict saved only when it changes.

::

    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key)

    @app.post("/login")
    async def login(request: Request):
        ...
        request.session.rotate()          # new id, same data: defeats fixation
        request.session["user_id"] = user.id

    @app.post("/logout")
    async def logout(request: Request):
        request.session.clear()           # data and server-side record gone

By default the session lives in a signed cookie (:class:`CookieBackend`);
pass ``backend=RedisSessionStore(...)`` (or any
:class:`~fastcore.security.session_backends.SessionStore`) to keep it
server-side. Cookies are HttpOnly, SameSite=Lax, and Secure whenever the
request came over https.

Expiry: ``max_age`` is the absolute lifetime from the session's creation;
``idle_timeout`` ends a session unused for that long. An unchanged session is
re-saved (to push the idle deadline) once half the idle timeout has passed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from fastcore.datastructures import parse_cookie_header
from fastcore.exceptions import ImproperlyConfigured
from fastcore.middleware_base import Handler, Middleware
from fastcore.security.crypto import random_token
from fastcore.security.keys import resolve_secret_keys
from fastcore.security.session_backends import (
    CookieBackend,
    SessionBackend,
    SessionRecord,
    StoreBackend,
)
from fastcore.security.signing import Signer

if TYPE_CHECKING:
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["MAX_COOKIE_SIZE", "Session", "SessionMiddleware"]

#: Browsers keep at least 4096 bytes per cookie (RFC 6265 section 6.1); beyond
#: that they drop it silently, so a larger session is an error here instead.
MAX_COOKIE_SIZE = 4096


def _new_id() -> str:
    return random_token(24)


class Session(MutableMapping[str, Any]):
    """The session of one request: a dict that remembers whether it changed.

    Mutating a value in place (``session["cart"].append(item)``) is not seen;
    set ``session.modified = True`` after doing so.
    """

    __slots__ = ("_data", "_id", "created", "saved_at", "modified", "new", "_stale_ids")

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        created: float = 0.0,
        saved_at: float = 0.0,
    ) -> None:
        self._data: dict[str, Any] = data if data is not None else {}
        # PERF: a new session's id is drawn only if it is ever saved or read.
        self._id = session_id
        self.created = created
        self.saved_at = saved_at
        self.new = session_id is None
        self.modified = False
        self._stale_ids: list[str] | None = None

    @property
    def id(self) -> str:
        """The session's random id (drawn on first use for a new session)."""
        if self._id is None:
            self._id = _new_id()
        return self._id

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value
        self.modified = True

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self.modified = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        """Return ``session[key]``, or ``default``."""
        return self._data.get(key, default)

    def rotate(self) -> None:
        """Give the session a new id, keeping its data (call on login).

        An attacker who planted a session id before the login (session
        fixation) is left holding an id that no longer exists.
        """
        if not self.new and self._id is not None:
            if self._stale_ids is None:
                self._stale_ids = []
            self._stale_ids.append(self._id)
        self._id = _new_id()
        self.new = True
        self.modified = True

    def clear(self) -> None:
        """Drop every value and the server-side record (call on logout)."""
        self._data.clear()
        self.rotate()

    @property
    def stale_ids(self) -> list[str]:
        """Ids given up by :meth:`rotate` or :meth:`clear`, deleted when the response goes out."""
        return self._stale_ids or []

    def to_dict(self) -> dict[str, Any]:
        """The session data (the live dict, not a copy)."""
        return self._data

    def __repr__(self) -> str:
        return f"<Session {self._data!r}>"


class SessionMiddleware(Middleware):
    """Attach ``request.session`` and save it after the handler when it changed.

    Args:
        secret_key: The signing key, or a list with the newest first (rotation);
            None reads ``FASTCORE_SECRET_KEY``. In production a missing or
            weak key fails here, at startup.
        secret_key_fallbacks: Older keys that still verify.
        debug: Development mode (a missing key is generated); None reads
            ``FASTCORE_DEBUG``.
        backend: A :class:`SessionBackend` or a ``SessionStore`` (wrapped in a
            StoreBackend); the signed cookie by default.
        cookie_name: The cookie's name.
        domain: The cookie's Domain (host-only by default).
        path: The cookie's Path.
        max_age: Absolute lifetime of a session, in seconds.
        idle_timeout: End sessions unused for this long (None: only ``max_age``).
        secure: ``"auto"`` (Secure on https requests), or always / never.
        samesite: The SameSite attribute (``"lax"``; ``"none"`` implies Secure).
        httponly: Hide the cookie from JavaScript.
    """

    inline_safe = True  # the framework's own code (see Middleware.inline_safe)

    def __init__(
        self,
        next: Handler,
        *,
        secret_key: str | Sequence[str] | None = None,
        secret_key_fallbacks: Sequence[str] = (),
        debug: bool | None = None,
        backend: Any = None,
        cookie_name: str = "session",
        domain: str | None = None,
        path: str = "/",
        max_age: int = 14 * 24 * 3600,
        idle_timeout: int | None = None,
        secure: bool | Literal["auto"] = "auto",
        samesite: Literal["lax", "strict", "none"] = "lax",
        httponly: bool = True,
    ) -> None:
        super().__init__(next)
        keys = resolve_secret_keys(secret_key, fallbacks=secret_key_fallbacks, debug=debug)
        signer = Signer(keys, salt="fastcore.sessions")
        if backend is None:
            backend = CookieBackend(signer)
        elif not hasattr(backend, "load") and all(
            hasattr(backend, name) for name in ("get", "set", "delete")
        ):
            backend = StoreBackend(backend, signer)
        if not all(hasattr(backend, name) for name in ("load", "save", "delete")):
            raise ImproperlyConfigured(
                f"session backend {backend!r} is neither a SessionBackend nor a SessionStore"
            )
        if max_age < 1 or (idle_timeout is not None and idle_timeout < 1):
            raise ImproperlyConfigured("session max_age and idle_timeout must be positive")
        if samesite not in ("lax", "strict", "none"):
            raise ImproperlyConfigured("session samesite must be 'lax', 'strict' or 'none'")
        if secure not in (True, False, "auto"):
            raise ImproperlyConfigured("session secure must be True, False or 'auto'")
        self.backend: SessionBackend = backend
        self.cookie_name = cookie_name
        self.domain = domain
        self.path = path
        self.max_age = max_age
        self.idle_timeout = idle_timeout
        self.secure = secure
        self.samesite = samesite
        self.httponly = httponly

    def cookie_of(self, request: Request) -> str | None:
        """The session cookie's value, or None."""
        # PERF: the header lines are searched in place, without building the
        # header list or the Headers view (bench/micro/test_bench_security_stack.py).
        # The first Cookie header is parsed, as ``request.cookies`` does.
        value = request.first_header(b"cookie")
        if value is None:
            return None
        return parse_cookie_header(value.decode("latin-1")).get(self.cookie_name)

    async def load(self, cookie: str) -> Session:
        """The session the cookie names, or a new one when it is forged, unknown or expired."""
        record = await self.backend.load(cookie, self.idle_timeout)
        # Absolute expiry counts from creation, however active the session.
        if record is not None and time.time() - record.created <= self.max_age:
            return Session(
                record.data,
                session_id=record.id,
                created=record.created,
                saved_at=record.saved_at,
            )
        return Session()

    async def attach(self, request: Request, cookie: str | None) -> None:
        """Give ``request`` its session: loaded from ``cookie``, or new when first read."""
        if cookie:
            request._session = await self.load(cookie)
        else:
            self.defer(request)

    @staticmethod
    def defer(request: Request) -> None:
        """Give ``request`` a new, empty session, created when the request first reads it.

        PERF: most anonymous requests never read ``request.session``.
        """
        request._session_factory = Session
        request._session = None

    @staticmethod
    def attached(request: Request) -> Session | None:
        """The session :meth:`attach` gave ``request``, None if it was never created."""
        session: Session | None = request._session
        return session

    def touched(self, session: Session, cookie: str | None) -> bool:
        """Whether :meth:`commit` has work: a cookie came in, or the session holds data.

        A session loaded from its cookie and left unchanged has none when
        there is no idle timeout to push back (PERF: the common logged-in
        request skips :meth:`commit`).
        """
        if not (session.modified or session.new or session._stale_ids):
            return self.idle_timeout is not None
        return bool(cookie) or session.modified or bool(session._data)

    async def __call__(self, request: Request) -> Response:
        """Load the session, call the handler, then save or drop the session."""
        cookie = self.cookie_of(request)
        await self.attach(request, cookie)
        response = await self.next(request)
        session = self.attached(request)
        if session is not None and self.touched(session, cookie):
            await self.commit(request, session, response, had_cookie=bool(cookie))
        return response

    async def commit(
        self, request: Request, session: Session, response: Response, *, had_cookie: bool
    ) -> None:
        """Save, refresh or drop the session after the handler, and set the cookie."""
        for stale in session.stale_ids:
            await self.backend.delete(stale)
        if not session:
            if had_cookie and (session.modified or session.new):
                # Emptied, or the cookie was forged/expired: tell the browser to drop it.
                response.delete_cookie(
                    self.cookie_name,
                    path=self.path,
                    domain=self.domain,
                    secure=self._secure(request),
                    httponly=self.httponly,
                    samesite=self.samesite,
                )
            return
        now = time.time()
        if not session.created:
            session.created = now  # a new session starts its life when first saved
        refresh = self.idle_timeout is not None and now - session.saved_at > self.idle_timeout / 2
        if not (session.modified or session.new or refresh):
            return
        remaining = int(session.created + self.max_age - now)
        ttl = max(1, remaining if self.idle_timeout is None else min(remaining, self.idle_timeout))
        record = SessionRecord(session.id, session.created, session.to_dict(), now)
        value = await self.backend.save(record, ttl)
        size = len(self.cookie_name) + len(value) + 1
        if size > MAX_COOKIE_SIZE:
            raise ValueError(
                f"the session cookie would be {size} bytes, over the {MAX_COOKIE_SIZE}-byte "
                "limit browsers keep: store less in the session or use a server-side "
                "backend (backend=RedisSessionStore(...))"
            )
        response.set_cookie(
            self.cookie_name,
            value,
            max_age=ttl,
            path=self.path,
            domain=self.domain,
            secure=self._secure(request),
            httponly=self.httponly,
            samesite=self.samesite,
        )

    def _secure(self, request: Request) -> bool:
        if self.secure == "auto":
            return request.scheme == "https"
        return bool(self.secure)
