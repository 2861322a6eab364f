"""Limits and timeouts of the bundled HTTP server, validated once at startup."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from fastcore.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from fastcore.server.access_log import AccessLog

__all__ = ["ServerConfig", "WorkerConfig"]


@dataclasses.dataclass(frozen=True, slots=True)
class ServerConfig:
    """How the bundled server treats connections: limits, timeouts, headers.

    Every field has a production default; tests shorten the timeouts.

    Attributes:
        max_request_line: Longest request line in bytes (414 beyond).
        max_header_bytes: Largest header section in bytes (431 beyond).
        max_headers: Most header fields in one request (431 beyond).
        max_body: Largest request body in bytes (413 beyond, checked before
            reading when the length is declared).
        keep_alive_timeout: Seconds an idle keep-alive connection stays open.
        header_timeout: Seconds a client has to send a whole request head,
            counted from its first byte (slowloris protection; 408).
        body_timeout: Seconds the server waits for the next bytes of a request
            body it is reading (408).
        graceful_timeout: Seconds a shutting-down worker waits for in-flight
            requests before closing their connections.
        server_header: The ``Server`` header value; ``None`` sends none.
        access_log: Log one line per request to the ``fastcore.access`` logger.
        access_log_format: ``None`` (the default line), ``"json"`` (one JSON
            object per line) or a template of named fields
            (:mod:`fastcore.server.access_log`); setting it turns the log on.
        backlog: The listen backlog of each worker socket.
        body_high_water: Buffered request-body bytes at which the server stops
            reading from the socket until the handler reads.
        max_pipeline: Requests of one connection in flight at once; reading
            pauses beyond it.
        max_discard: Unread request-body bytes the server reads and drops to
            keep a connection alive after the response; beyond it, it closes.
        eager_dispatch: Run a request synchronously up to its first real
            suspension when nothing before it can need the current Task (the
            framework's code, ``def`` handlers, ``async def`` handlers with no
            await), creating a Task only then (the fast default); any other
            request starts in a Task. ``False`` starts every request in a Task.
        websocket_max_message: Largest WebSocket message (and frame) in bytes
            a client may send; a bigger one closes the connection with 1009.
        websocket_read_high_water: Received WebSocket bytes waiting for the
            handler at which the server stops reading from the socket (the
            client's sends then block: flow control).
        websocket_ping_interval: Seconds of silence after which the server
            pings a WebSocket client.
        websocket_ping_timeout: Seconds the client has to answer that ping
            (any frame will do) before the connection is dropped.
        websocket_close_timeout: Seconds the server waits for the client's
            close frame after sending its own, before dropping the connection.
        websocket_compression: Accept permessage-deflate (RFC 7692) when a
            client offers it. Off by default: it costs CPU per message and up
            to ~300 KB per connection that keeps its compression context, and
            compressing secrets beside attacker-chosen text leaks them by size
            (CRIME/BREACH).
        limit_concurrency: Requests of this worker in progress at once (those
            that wait for something); a request beyond it is answered 503 with
            ``Retry-After`` at once. ``None``: no limit.
        max_connections: Open connections of this worker; a connection beyond
            it is answered 503 and closed. ``None``: no limit.
        proxy_headers: Take the client address and scheme from
            ``X-Forwarded-For`` / ``X-Forwarded-Proto`` when the peer is one of
            ``forwarded_allow_ips``.
        forwarded_allow_ips: Comma-separated addresses or networks of the
            trusted proxies, or ``"*"`` (trust any peer: only behind a proxy
            that overwrites the headers).
        request_metrics: Count answered requests by route, method and
            status, with a latency histogram (``ServerState.request_metrics()``;
            what ``--metrics-port`` reports).
    """

    max_request_line: int = 8 * 1024
    max_header_bytes: int = 64 * 1024
    max_headers: int = 100
    max_body: int = 16 * 1024 * 1024
    keep_alive_timeout: float = 5.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    graceful_timeout: float = 30.0
    server_header: str | None = "fastcore"
    access_log: bool = False
    access_log_format: str | None = None
    backlog: int = 2048
    body_high_water: int = 256 * 1024
    max_pipeline: int = 64
    max_discard: int = 64 * 1024
    eager_dispatch: bool = True
    websocket_max_message: int = 1024 * 1024
    websocket_read_high_water: int = 1024 * 1024
    websocket_ping_interval: float = 20.0
    websocket_ping_timeout: float = 20.0
    websocket_close_timeout: float = 5.0
    websocket_compression: bool = False
    limit_concurrency: int | None = None
    max_connections: int | None = None
    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1,::1"
    request_metrics: bool = False

    def __post_init__(self) -> None:
        for name in ("max_request_line", "max_header_bytes", "max_headers", "backlog"):
            if getattr(self, name) <= 0:
                raise ImproperlyConfigured(f"ServerConfig.{name} must be positive")
        if self.max_pipeline < 1:
            raise ImproperlyConfigured("ServerConfig.max_pipeline must be at least 1")
        for name in ("max_body", "max_discard", "body_high_water"):
            if getattr(self, name) < 0:
                raise ImproperlyConfigured(f"ServerConfig.{name} must not be negative")
        if self.websocket_max_message <= 0 or self.websocket_read_high_water <= 0:
            raise ImproperlyConfigured("ServerConfig.websocket_* sizes must be positive")
        for name in (
            "keep_alive_timeout",
            "header_timeout",
            "body_timeout",
            "graceful_timeout",
            "websocket_ping_interval",
            "websocket_ping_timeout",
            "websocket_close_timeout",
        ):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ImproperlyConfigured(f"ServerConfig.{name} must be a positive number")
        for name in ("limit_concurrency", "max_connections"):
            limit = getattr(self, name)
            if limit is not None and limit < 1:
                raise ImproperlyConfigured(f"ServerConfig.{name} must be at least 1")
        if self.server_header is not None and (
            "\r" in self.server_header or "\n" in self.server_header
        ):
            raise ImproperlyConfigured("ServerConfig.server_header contains a line break")
        if self.access_log_format is not None:
            _ = self.access_logger  # an unknown field is an error now, not per request

    @property
    def access_logger(self) -> AccessLog | None:
        """What the protocol calls for each answered request (None: no access log)."""
        if not self.access_log and self.access_log_format is None:
            return None
        from fastcore.server.access_log import AccessLog

        return AccessLog(self.access_log_format)

    @property
    def tick_interval(self) -> float:
        """Seconds between the server's timer ticks (Date refresh, timeouts)."""
        shortest = min(self.keep_alive_timeout, self.header_timeout, self.body_timeout)
        return max(0.01, min(1.0, shortest / 4))


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerConfig:
    """How the supervisor of ``fastcore run --workers N`` manages its workers.

    Attributes:
        max_requests: A worker that has started this many requests drains and
            is replaced (0: never), bounding slow memory leaks.
        max_requests_jitter: A random 0..J added to ``max_requests`` per
            worker, so that workers do not all restart at once.
        max_memory: A worker whose resident memory exceeds this many MiB
            drains and is replaced (0: no cap); checked twice a second.
        timeout: Seconds without a heartbeat from a worker's event loop (code
            blocking it) after which the worker's traceback is logged and it
            is killed and replaced.
        ready_timeout: Seconds a new worker has to start listening before a
            rolling restart gives up and keeps the running workers.
    """

    max_requests: int = 0
    max_requests_jitter: int = 0
    max_memory: int = 0
    timeout: float = 30.0
    ready_timeout: float = 60.0

    def __post_init__(self) -> None:
        for name in ("max_requests", "max_requests_jitter", "max_memory"):
            if getattr(self, name) < 0:
                raise ImproperlyConfigured(f"WorkerConfig.{name} must not be negative")
        for name in ("timeout", "ready_timeout"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ImproperlyConfigured(f"WorkerConfig.{name} must be a positive number")
