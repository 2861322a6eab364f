"""A live fastcore server in a background thread and a raw-socket HTTP client."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvloop

from fastcore._speedups.http_parser import RequestHead
from fastcore.server import Server, ServerConfig


class DispatchApp:
    """The smallest native app: a bare dispatch function, no lifespan."""

    request_class = RequestHead

    def __init__(self, dispatch: Callable[[Any], Any]) -> None:
        self.dispatch = dispatch
        self.started = False
        self.stopped = False

    async def startup(self) -> None:
        self.started = True

    async def shutdown(self) -> None:
        self.stopped = True

    def build_dispatch(self) -> Callable[[Any], Any]:
        return self.dispatch


class LiveServer:
    """Runs ``Server(app)`` on its own uvloop loop in a daemon thread."""

    def __init__(self, app: Any, config: ServerConfig) -> None:
        self.app = app
        self.config = config
        self.port = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server: Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("live server did not start")
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        loop = uvloop.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _main(self) -> None:
        self.server = Server(self.app, "127.0.0.1", 0, config=self.config)
        await self.server.start()
        self.port = self.server.port
        self._ready.set()
        await self.server.serve_forever()

    def call(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` on the server's loop and return its result."""
        assert self.loop is not None
        done = threading.Event()
        box: list[Any] = []

        def runner() -> None:
            box.append(function())
            done.set()

        self.loop.call_soon_threadsafe(runner)
        assert done.wait(5)
        return box[0]

    @property
    def connection_count(self) -> int:
        assert self.server is not None and self.server.state is not None
        state = self.server.state
        return int(self.call(lambda: state.connection_count))

    def stop(self) -> None:
        if self.loop is not None and self.server is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.server.request_shutdown)
        self._thread.join(10)

    def connect(self, timeout: float = 5.0) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return sock


@dataclasses.dataclass
class RawResponse:
    """One parsed response: status, headers (lower-cased names), body, raw bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    raw: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_list(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


class HttpReader:
    """Reads responses off a blocking socket, framing them like a client would."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.closed = False

    def _fill(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no response in time")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return False
        self.buffer += data
        return True

    def read_all_until_close(self, timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        data, self.buffer = self.buffer, b""
        return data

    def wait_closed(self, timeout: float = 5.0) -> bool:
        """Return True if the server closes the connection without sending anything more.

        Bytes that arrive before the close (a second response after an error
        response, say) fail the assertion with those bytes.
        """
        try:
            leftover = self.read_all_until_close(timeout)
        except TimeoutError:
            return False
        assert leftover == b"", f"sent after the last response, before closing: {leftover!r}"
        return True

    def read_response(self, timeout: float = 5.0, head_request: bool = False) -> RawResponse:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill(deadline):
                raise ConnectionError(f"closed before a full head; got {self.buffer!r}")
        head_end = self.buffer.index(b"\r\n\r\n") + 4
        lines = self.buffer[: head_end - 4].decode("latin-1").split("\r\n")
        version, status, *_ = lines[0].split(" ", 2)
        assert version == "HTTP/1.1", lines[0]
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        response = RawResponse(int(status), headers, b"", b"")
        rest = self.buffer[head_end:]
        status_code = int(status)
        if head_request or status_code < 200 or status_code in (204, 304):
            self.buffer = rest
            response.raw = self.buffer[:head_end]
            return response
        if response.header("transfer-encoding") == "chunked":
            body, consumed = self._read_chunked(head_end, deadline)
            response.body = body
            response.raw = self.buffer[:consumed]
            self.buffer = self.buffer[consumed:]
            return response
        length = response.header("content-length")
        if length is None:
            while self._fill(deadline):
                pass
            response.body = self.buffer[head_end:]
            response.raw = self.buffer
            self.buffer = b""
            return response
        end = head_end + int(length)
        while len(self.buffer) < end:
            if not self._fill(deadline):
                raise ConnectionError("closed mid-body")
        response.body = self.buffer[head_end:end]
        response.raw = self.buffer[:end]
        self.buffer = self.buffer[end:]
        return response

    def _read_chunked(self, start: int, deadline: float) -> tuple[bytes, int]:
        body = b""
        position = start
        while True:
            while b"\r\n" not in self.buffer[position:]:
                if not self._fill(deadline):
                    raise ConnectionError("closed mid-chunk")
            line_end = self.buffer.index(b"\r\n", position)
            size = int(self.buffer[position:line_end].split(b";")[0], 16)
            chunk_start = line_end + 2
            while len(self.buffer) < chunk_start + size + 2:
                if not self._fill(deadline):
                    raise ConnectionError("closed mid-chunk")
            if size == 0:
                # No trailers are sent by fastcore: the last chunk ends with CRLF.
                assert self.buffer[chunk_start : chunk_start + 2] == b"\r\n"
                return body, chunk_start + 2
            body += self.buffer[chunk_start : chunk_start + size]
            assert self.buffer[chunk_start + size : chunk_start + size + 2] == b"\r\n"
            position = chunk_start + size + 2


def get(path: str = "/", *extra: str, version: str = "1.1") -> bytes:
    """Build a simple GET request (``extra`` are raw header lines)."""
    lines = [f"GET {path} HTTP/{version}", "Host: test"]
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def request(method: str, path: str, body: bytes = b"", *extra: str) -> bytes:
    """Build a request with a Content-Length body."""
    lines = [f"{method} {path} HTTP/1.1", "Host: test", f"Content-Length: {len(body)}"]
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
