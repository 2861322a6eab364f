"""An in-process test client that drives an App through the server's own path.

Each request is written out as HTTP/1.1 bytes and read back by the same
compiled parser the server uses, into the App's request class; the App's
dispatch (routing, middleware, handlers, error handling) then runs exactly as
under the server. Only the socket is left out, so tests are fast and
deterministic; use the live-server fixture for what needs a real socket.
"""

from __future__ import annotations

import asyncio
import http.cookies
from collections.abc import Coroutine, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import orjson

from fastcore._speedups.http_parser import HttpRequestParser
from fastcore.datastructures import Headers
from fastcore.responses import dumps_json
from fastcore.status import reason_phrase
from fastcore.testing.websocket import AsyncWebSocketSession, WebSocketSession

if TYPE_CHECKING:
    from fastcore.app import App
    from fastcore.responses import Response

__all__ = ["AsyncTestClient", "TestClient", "TestResponse"]

T = TypeVar("T")

_BODY = 2  # parser events (see ext/fastcore/_speedups/http_parser.pxd)
_END = 3
_HEAD = 1


class MemoryBodyReader:
    """A request body reader over chunks already in memory."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def read_nowait(self) -> bytes | None:
        """Return the next chunk, then ``b""``."""
        return self._chunks.pop(0) if self._chunks else b""

    def disconnected(self) -> bool:
        """The in-process client never goes away."""
        return False

    def wait(self) -> asyncio.Future[None]:
        """Never needed: everything is buffered; returns a completed future."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class TestResponse:
    """What the client received: status, headers and body."""

    __test__ = False  # not a pytest test class

    def __init__(self, url: str, status_code: int, headers: Headers, content: bytes) -> None:
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def reason(self) -> str:
        """The reason phrase of the status."""
        return reason_phrase(self.status_code)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.content)

    @property
    def is_redirect(self) -> bool:
        """Whether the response is a redirect with a Location."""
        return self.status_code in (301, 302, 303, 307, 308) and "location" in self.headers

    def __repr__(self) -> str:
        return f"<TestResponse [{self.status_code}]>"


class _ClientCore:
    """Request building, the cookie jar and dispatch, shared by both clients."""

    def __init__(self, app: App, base_url: str, follow_redirects: bool) -> None:
        self.app = app
        self.base_url = base_url
        self.follow_redirects = follow_redirects
        self.cookies: dict[str, str] = {}

    def encode_request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        headers: Mapping[str, str] | None,
        cookies: Mapping[str, str] | None,
        content: bytes | str | None,
        data: Mapping[str, Any] | None,
        json: Any,
    ) -> bytes:
        """Write the request as HTTP/1.1 bytes, exactly as a client would send it."""
        parts = urlsplit(urljoin(self.base_url, url))
        target = parts.path or "/"
        query = parts.query
        if params:
            pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
            extra = urlencode(pairs, doseq=True)
            query = f"{query}&{extra}" if query else extra
        if query:
            target += f"?{query}"
        body = b""
        header_map: dict[str, str] = {"host": parts.netloc, "user-agent": "fastcore-testclient"}
        if json is not None:
            body = dumps_json(json)
            header_map["content-type"] = "application/json"
        elif data is not None:
            body = urlencode(data, doseq=True).encode()
            header_map["content-type"] = "application/x-www-form-urlencoded"
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
        jar = {**self.cookies, **(cookies or {})}
        if jar:
            header_map["cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        for name, value in (headers or {}).items():
            header_map[name.lower()] = value
        if body or method in ("POST", "PUT", "PATCH"):
            header_map["content-length"] = str(len(body))
        lines = [f"{method} {target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in header_map.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def websocket_scope(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        cookies: Mapping[str, str] | None,
        subprotocols: list[str] | None,
    ) -> dict[str, Any]:
        """The ASGI ``websocket`` scope of a handshake to ``url`` (with the cookie jar)."""
        parts = urlsplit(urljoin(self.base_url, url))
        header_map: dict[str, str] = {
            "host": parts.netloc,
            "user-agent": "fastcore-testclient",
            "connection": "upgrade",
            "upgrade": "websocket",
            "sec-websocket-version": "13",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        }
        jar = {**self.cookies, **(cookies or {})}
        if jar:
            header_map["cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        if subprotocols:
            header_map["sec-websocket-protocol"] = ", ".join(subprotocols)
        for name, value in (headers or {}).items():
            header_map[name.lower()] = value
        path = parts.path or "/"
        return {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if parts.scheme == "https" else "ws",
            "path": unquote(path),
            "raw_path": path.encode("latin-1"),
            "query_string": parts.query.encode("latin-1"),
            "root_path": "",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in header_map.items()],
            "client": ("127.0.0.1", 50000),
            "server": (parts.hostname or "testserver", parts.port or 80),
            "subprotocols": list(subprotocols or []),
            "state": {},
            "extensions": {"websocket.http.response": {}},
        }

    async def dispatch(self, raw: bytes) -> tuple[Response, bool]:
        """Parse ``raw`` with the server's parser and run it through the App."""
        dispatch = self.app.build_dispatch()
        parser = HttpRequestParser(head_type=self.app.request_class)
        parser.feed(raw)
        chunks: list[bytes] = []
        request: Any = None
        while True:
            event = parser.next_event()
            if event == _HEAD:
                request = parser.head
            elif event == _BODY and parser.body_chunk is not None:
                chunks.append(parser.body_chunk)
            elif event == _END:
                break
            else:
                raise RuntimeError("the test client wrote an incomplete request")
        request.body_reader = MemoryBodyReader(chunks)
        request.client = ("127.0.0.1", 50000)
        request.scheme = urlsplit(self.base_url).scheme or "http"
        response = await dispatch(request)
        return response, request.method == "HEAD"

    async def collect(self, url: str, response: Response, head: bool) -> TestResponse:
        """Read the whole body (streaming too) and update the cookie jar."""
        if response.body is not None:
            content = response.body
            raw = list(response.raw_headers)
            raw.append((b"content-length", str(len(content)).encode()))
        else:
            iterator: Any = response.body_iterator  # type: ignore[attr-defined]
            content = b"".join([chunk async for chunk in iterator])
            raw = [*response.raw_headers, (b"transfer-encoding", b"chunked")]
        headers = Headers(raw=raw)
        self._store_cookies(headers)
        return TestResponse(url, response.status_code, headers, b"" if head else content)

    def _store_cookies(self, headers: Headers) -> None:
        for header in headers.getlist("set-cookie"):
            jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or (not morsel.value and morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def request(self, method: str, url: str, **options: Any) -> TestResponse:
        """Send one request, following redirects when asked to."""
        follow = options.pop("follow_redirects", None)
        follow = self.follow_redirects if follow is None else follow
        url = urljoin(self.base_url, url)
        for _ in range(20):
            raw = self.encode_request(method.upper(), url, **_request_options(options))
            response, head = await self.dispatch(raw)
            result = await self.collect(url, response, head)
            if not (follow and result.is_redirect):
                return result
            url = urljoin(url, result.headers["location"])
            if result.status_code in (301, 302, 303) and method.upper() != "HEAD":
                method = "GET"
                options = {"headers": options.get("headers")}
        raise RuntimeError(f"more than 20 redirects from {url}")


def _request_options(options: Mapping[str, Any]) -> dict[str, Any]:
    allowed = {"params", "headers", "cookies", "content", "data", "json"}
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unknown request option(s): {', '.join(sorted(unknown))}")
    return {name: options.get(name) for name in allowed}


class AsyncTestClient:
    """An async in-process client: ``await client.get("/")``.

    Use ``async with AsyncTestClient(app) as client`` to run the app's
    startup and shutdown around the tests.
    """

    def __init__(
        self, app: App, base_url: str = "http://testserver", follow_redirects: bool = True
    ) -> None:
        self._core = _ClientCore(app, base_url, follow_redirects)
        self.app = app

    @property
    def cookies(self) -> dict[str, str]:
        """The cookie jar (set by responses, sent with every request)."""
        return self._core.cookies

    async def __aenter__(self) -> Self:
        await self.app.startup()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.app.shutdown()

    async def request(self, method: str, url: str, **options: Any) -> TestResponse:
        """Send a request: ``params``, ``headers``, ``cookies``, ``content``, ``data``, ``json``."""
        return await self._core.request(method, url, **options)

    async def get(self, url: str, **options: Any) -> TestResponse:
        """Send a GET request."""
        return await self.request("GET", url, **options)

    async def post(self, url: str, **options: Any) -> TestResponse:
        """Send a POST request."""
        return await self.request("POST", url, **options)

    async def put(self, url: str, **options: Any) -> TestResponse:
        """Send a PUT request."""
        return await self.request("PUT", url, **options)

    async def patch(self, url: str, **options: Any) -> TestResponse:
        """Send a PATCH request."""
        return await self.request("PATCH", url, **options)

    async def delete(self, url: str, **options: Any) -> TestResponse:
        """Send a DELETE request."""
        return await self.request("DELETE", url, **options)

    async def head(self, url: str, **options: Any) -> TestResponse:
        """Send a HEAD request."""
        return await self.request("HEAD", url, **options)

    async def options(self, url: str, **options: Any) -> TestResponse:
        """Send an OPTIONS request."""
        return await self.request("OPTIONS", url, **options)

    def websocket_connect(
        self,
        url: str,
        *,
        subprotocols: list[str] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float = 5.0,
    ) -> AsyncWebSocketSession:
        """Open an in-process WebSocket: ``async with client.websocket_connect("/ws") as ws``.

        See :mod:`fastcore.testing.websocket` (the App runs through its ASGI
        ``websocket`` scope; ``timeout`` bounds each receive).
        """
        scope = self._core.websocket_scope(
            url, headers=headers, cookies=cookies, subprotocols=subprotocols
        )
        return AsyncWebSocketSession(self.app, scope, timeout)


class TestClient:
    """A synchronous in-process client: ``client.get("/")`` returns a TestResponse.

    It runs the app on its own uvloop event loop, or on ``loop`` when given
    (a loop that is not running, or one running in another thread, such as a
    :class:`~fastcore.testing.loop.LoopThread`'s; the client never closes a
    loop it did not make). Use ``with TestClient(app)`` to run the app's
    startup and shutdown around the tests.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: App,
        base_url: str = "http://testserver",
        follow_redirects: bool = True,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.app = app
        self._client = AsyncTestClient(app, base_url, follow_redirects)
        self._owns_loop = loop is None
        if loop is None:
            import uvloop

            loop = uvloop.new_event_loop()
        self._loop = loop

    @property
    def cookies(self) -> dict[str, str]:
        """The cookie jar (set by responses, sent with every request)."""
        return self._client.cookies

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop.is_running():
            # NOTE: a loop running in another thread (a LoopThread): the
            # coroutine runs there, between whatever else that loop serves.
            return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()
        return self._loop.run_until_complete(coroutine)

    def __enter__(self) -> Self:
        self._run(self.app.startup())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._run(self.app.shutdown())
        finally:
            self.close()

    def close(self) -> None:
        """Close the client's event loop (unless it was given one)."""
        if self._owns_loop and not self._loop.is_closed():
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def __del__(self) -> None:
        loop = getattr(self, "_loop", None)
        if getattr(self, "_owns_loop", False) and loop is not None and not loop.is_closed():
            loop.close()

    def request(self, method: str, url: str, **options: Any) -> TestResponse:
        """Send a request: ``params``, ``headers``, ``cookies``, ``content``, ``data``, ``json``."""
        return self._run(self._client.request(method, url, **options))

    def get(self, url: str, **options: Any) -> TestResponse:
        """Send a GET request."""
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> TestResponse:
        """Send a POST request."""
        return self.request("POST", url, **options)

    def put(self, url: str, **options: Any) -> TestResponse:
        """Send a PUT request."""
        return self.request("PUT", url, **options)

    def patch(self, url: str, **options: Any) -> TestResponse:
        """Send a PATCH request."""
        return self.request("PATCH", url, **options)

    def delete(self, url: str, **options: Any) -> TestResponse:
        """Send a DELETE request."""
        return self.request("DELETE", url, **options)

    def head(self, url: str, **options: Any) -> TestResponse:
        """Send a HEAD request."""
        return self.request("HEAD", url, **options)

    def options(self, url: str, **options: Any) -> TestResponse:
        """Send an OPTIONS request."""
        return self.request("OPTIONS", url, **options)

    def websocket_connect(
        self,
        url: str,
        *,
        subprotocols: list[str] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float = 5.0,
    ) -> WebSocketSession:
        """Open an in-process WebSocket: ``with client.websocket_connect("/ws") as ws``.

        The session sends the cookie jar, ``send_text``/``send_bytes``/
        ``send_json``, ``receive_text``/``receive_bytes``/``receive_json``
        and ``close``; a refused handshake raises
        :class:`~fastcore.testing.websocket.WebSocketRejected` with the
        App's status. See :mod:`fastcore.testing.websocket`.
        """
        session = self._client.websocket_connect(
            url, subprotocols=subprotocols, headers=headers, cookies=cookies, timeout=timeout
        )
        return WebSocketSession(session, self._run)
