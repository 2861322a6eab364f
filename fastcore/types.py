"""Type aliases and Protocols shared by the framework's layers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Protocol

__all__ = [
    "ASGIApp",
    "BodyReader",
    "Message",
    "Receive",
    "Scope",
    "Send",
]

Scope = MutableMapping[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyReader(Protocol):
    """The request-body channel a connection protocol attaches to each request.

    The contract is poll-then-wait, so a body that is already buffered is read
    without suspending the handler:

    - ``read_nowait()`` returns the next chunk (non-empty bytes), ``b""`` once
      the body is complete, or ``None`` when nothing is buffered yet;
    - ``wait()`` returns a future that completes when ``read_nowait()`` has
      something new to say (data, the end, or an error to raise).

    The first ``read_nowait()``/``wait()`` sends ``100 Continue`` when the client
    asked for it. Reading resumes the transport when backpressure paused it.
    A client that disconnects mid-body makes ``read_nowait()`` raise
    ``fastcore.exceptions.ClientDisconnect``.
    """

    def read_nowait(self) -> bytes | None: ...

    def wait(self) -> asyncio.Future[None]: ...
