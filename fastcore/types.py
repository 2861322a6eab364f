"""Type aliases and Protocols shared by the framework's layers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fastcore._speedups.http_parser import RequestHead
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = [
    "ASGIApp",
    "BodyReader",
    "Dispatch",
    "Message",
    "NativeApp",
    "Receive",
    "Scope",
    "Send",
]

Scope = MutableMapping[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Turns one parsed request into its response: the single entry point the
#: connection protocol calls. It returns a coroutine the protocol drives.
Dispatch = Callable[["Request"], Awaitable["Response"]]


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


class NativeApp(Protocol):
    """What the bundled server needs from a fastcore application."""

    #: The class the server instantiates for each request (RequestHead or a subclass).
    request_class: type[RequestHead]

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...

    def build_dispatch(self) -> Dispatch: ...
