"""The Request: a parsed HTTP request whose fields are decoded on first access.

``Request`` extends the compiled ``RequestHead`` the parser fills in, so a
request is one object created without ``__init__``; everything a handler may
not need (decoded headers, query, cookies, URL, body, JSON) is computed lazily
and cached in a slot.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

import orjson

from fastcore._speedups.http_parser import RequestHead
from fastcore.datastructures import (
    URL,
    FormData,
    Headers,
    QueryParams,
    State,
    parse_cookie_header,
)
from fastcore.exceptions import BadRequest, ImproperlyConfigured

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.formparsers import FormLimits
    from fastcore.routing import Route

__all__ = ["Request"]

# The compiled fields that Request shows in decoded form under the same name;
# the raw values stay reachable through the base class descriptors.
_raw_path_field = cast(Any, RequestHead).path
_raw_headers_field = cast(Any, RequestHead).headers
_raw_host_field = cast(Any, RequestHead).host


class Request(RequestHead):
    """An incoming HTTP request.

    Attributes set by the parser: ``method``, ``target``, ``query_string``,
    ``version_minor``, ``content_length``, ``keep_alive``, ``client`` and
    ``scheme``. ``path``, ``headers`` and ``host`` are shown decoded;
    ``raw_path`` and ``raw_headers`` give the bytes as received.
    """

    # NOTE: app, route and path_params are compiled RequestHead fields (set
    # by the App's dispatch without attribute lookups), and so are _session,
    # _session_factory and _csp_nonce (set by the security middleware).
    __slots__ = (
        "_state",
        "_headers",
        "_query",
        "_cookies",
        "_url",
        "_path",
        "_body",
        "_json",
        "_form",
        "_stream_consumed",
        "_db",
        "_user",
        "__weakref__",  # the finalizer that closes uploaded files
    )

    if TYPE_CHECKING:
        app: App
        route: Route | None
        path_params: dict[str, Any]
        method: str
        target: str
        query_string: str
        version_minor: int
        content_length: int
        keep_alive: bool
        chunked: bool
        expect_continue: bool
        upgrade: bool
        client: tuple[str, int] | None
        scheme: str
        body_reader: Any
        _state: State
        _headers: Headers
        _query: QueryParams
        _cookies: dict[str, str]
        _url: URL
        _path: str
        _body: bytes
        _json: Any
        _form: FormData
        _stream_consumed: bool
        _session: Any
        _session_factory: Callable[[], Any] | None
        _csp_nonce: str | None
        _db: Any
        _user: Any

    @classmethod
    def build(
        cls,
        method: str,
        raw_path: str,
        *,
        query_string: str = "",
        headers: list[tuple[bytes, bytes]] | None = None,
        body_reader: Any = None,
        client: tuple[str, int] | None = None,
        scheme: str = "http",
        version_minor: int = 1,
    ) -> Request:
        """Build a request without the parser (ASGI adapter, tests)."""
        request = cls.__new__(cls)
        raw = headers or []
        request.method = method
        request.query_string = query_string
        request.target = raw_path + (f"?{query_string}" if query_string else "")
        _raw_path_field.__set__(request, raw_path)
        _raw_headers_field.__set__(request, raw)
        _raw_host_field.__set__(request, next((v for n, v in raw if n == b"host"), b""))
        length = next((v for n, v in raw if n == b"content-length"), None)
        request.content_length = int(length) if length is not None else -1
        request.version_minor = version_minor
        request.keep_alive = True
        request.body_reader = body_reader
        request.client = client
        request.scheme = scheme
        return request

    # -- the request line ----------------------------------------------------

    @property
    def path(self) -> str:  # type: ignore[override]
        """The percent-decoded path (``/files/a b`` for ``/files/a%20b``)."""
        try:
            return self._path
        except AttributeError:
            raw = _raw_path_field.__get__(self)
            self._path = unquote(raw) if "%" in raw else raw
            return self._path

    @property
    def raw_path(self) -> str:
        """The path exactly as sent, still percent-encoded."""
        return cast(str, _raw_path_field.__get__(self))

    @property
    def query(self) -> QueryParams:
        """The query string as a multi-dict (``query["k"]`` is the last value)."""
        try:
            return self._query
        except AttributeError:
            self._query = QueryParams(self.query_string)
            return self._query

    query_params = query

    @property
    def http_version(self) -> str:
        """``"1.1"`` or ``"1.0"``."""
        return f"1.{self.version_minor}"

    # -- headers and what derives from them ----------------------------------

    @property
    def headers(self) -> Headers:  # type: ignore[override]
        """The headers, case-insensitive; values decoded as Latin-1 on access."""
        try:
            return self._headers
        except AttributeError:
            self._headers = Headers(raw=_raw_headers_field.__get__(self))
            return self._headers

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as received: (lower-cased name, value) byte pairs."""
        # (A quoted cast: the subscripted type is not built on every call.)
        return cast("list[tuple[bytes, bytes]]", _raw_headers_field.__get__(self))

    @property
    def host(self) -> str:  # type: ignore[override]
        """The Host header (or the authority of an absolute-form target)."""
        return cast(bytes, _raw_host_field.__get__(self)).decode("latin-1")

    @property
    def cookies(self) -> dict[str, str]:
        """The request cookies, by name."""
        try:
            return self._cookies
        except AttributeError:
            self._cookies = parse_cookie_header(self.headers.get("cookie"))
            return self._cookies

    @property
    def url(self) -> URL:
        """The absolute URL of the request (path percent-encoded)."""
        try:
            return self._url
        except AttributeError:
            self._url = URL(self.scheme, self.host, self.raw_path, self.query_string)
            return self._url

    @property
    def content_type(self) -> str:
        """The media type of the body, without parameters, lower-cased."""
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()

    @property
    def is_secure(self) -> bool:
        """Whether the request came over https."""
        return self.scheme == "https"

    @property
    def state(self) -> State:
        """A namespace for values middleware and handlers attach to the request."""
        try:
            return self._state
        except AttributeError:
            self._state = State()
            return self._state

    # -- what the batteries attach (sessions, database, auth) -------------------

    @property
    def session(self) -> Any:
        """The session (dict-like), attached by the session middleware."""
        session = self._session
        if session is None:
            # The middleware defers a visitor's new, empty session until a
            # request reads it (PERF: most anonymous requests never do).
            factory = self._session_factory
            if factory is None:
                raise ImproperlyConfigured(
                    "request.session needs the session middleware: "
                    "app.add_middleware(SessionMiddleware, ...)"
                )
            session = self._session = factory()
        return session

    @session.setter
    def session(self, value: Any) -> None:
        self._session = value

    @property
    def db(self) -> Any:
        """The request's database session, attached by the database integration."""
        try:
            return self._db
        except AttributeError:
            raise ImproperlyConfigured(
                "request.db needs a database: Database(url).init_app(app)"
            ) from None

    @db.setter
    def db(self, value: Any) -> None:
        self._db = value

    @property
    def user(self) -> Any:
        """The authenticated user, attached by the authentication middleware."""
        try:
            return self._user
        except AttributeError:
            raise ImproperlyConfigured("request.user needs the authentication middleware") from None

    @user.setter
    def user(self, value: Any) -> None:
        self._user = value

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the path of a named route (see :meth:`fastcore.App.url_for`)."""
        return self.app.url_for(name, **params)

    async def is_disconnected(self) -> bool:
        """Whether the client has gone away (its connection is closed).

        A streaming response (server-sent events, say) can poll it to stop
        work nobody will read. The bundled server also cancels a handler or
        stream whose client left, at its next ``await``; under an ASGI server
        this is the way to find out.
        """
        check = getattr(self.body_reader, "disconnected", None)
        if check is None:
            return False
        result = check()
        if inspect.isawaitable(result):
            result = await result
        return bool(result)

    # -- the body ------------------------------------------------------------

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives, chunk by chunk, without buffering it."""
        try:
            body = self._body
        except AttributeError:
            pass
        else:
            if body:
                yield body
            return
        if getattr(self, "_stream_consumed", False):
            raise RuntimeError("the request body stream was already consumed")
        self._stream_consumed = True
        reader = self.body_reader
        if reader is None:
            return
        while True:
            chunk = reader.read_nowait()
            if chunk is None:
                await reader.wait()
            elif chunk:
                yield chunk
            else:
                return

    async def body(self) -> bytes:
        """Return the whole body (read once, then cached)."""
        try:
            return self._body
        except AttributeError:
            pass
        if getattr(self, "_stream_consumed", False):
            raise RuntimeError("the request body stream was already consumed")
        self._stream_consumed = True
        reader = self.body_reader
        chunks = []
        # PERF: poll first, so a body that arrived with the head is read
        # without suspending the handler (bench/micro: dispatch with a body).
        while reader is not None:
            chunk = reader.read_nowait()
            if chunk is None:
                await reader.wait()
            elif chunk:
                chunks.append(chunk)
            else:
                break
        self._body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._body

    async def text(self) -> str:
        """Return the body decoded with its declared charset (UTF-8 by default)."""
        charset = "utf-8"
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        body = await self.body()
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise BadRequest(f"The body is not valid {charset} text.") from exc

    async def json(self) -> Any:
        """Return the body parsed as JSON; malformed JSON is a 400 naming the position."""
        try:
            return self._json
        except AttributeError:
            pass
        body = await self.body()
        try:
            self._json = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"Malformed JSON body: {exc}") from exc
        return self._json

    async def form(self, limits: FormLimits | None = None) -> FormData:
        """Return the form body (urlencoded or multipart), parsed once and cached.

        Text fields are ``str``; file parts are
        :class:`~fastcore.uploads.UploadFile` objects, spooled to disk above a
        size and closed when the request ends. ``limits`` (a
        :class:`~fastcore.forms.FormLimits`) defaults to the route's
        ``@form_limits(...)`` or the built-in limits; the first parse wins.

        Raises:
            HTTPException: 400 for a malformed body, 413 over a limit, 415
                when the body is not a form.
        """
        try:
            return self._form
        except AttributeError:
            pass
        from fastcore.formparsers import limits_for, parse_form

        form = await parse_form(self, limits or limits_for(self))
        self._form = form
        if form.files():
            weakref.finalize(self, form.close_files)
        return form

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.raw_path}>"
