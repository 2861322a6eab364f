"""The connection protocol per request, in-process: fastcore vs uvloop + httptools.

Both protocols get the same request bytes through ``data_received`` on a
transport whose ``write`` does nothing, so sockets and the kernel are out of
the picture. The peer is ``bench/load/apps/uvloop_protocol.py``, the
fixed-bytes uvloop + httptools protocol of the load harness. fastcore is
measured three ways: a prebuilt response (the protocol alone: parse,
dispatch, serialize, write), a response built per request, and the full App
path (routing, handler, Request, response).

Run: ``taskset -c 1 python -m pytest bench/micro/test_bench_protocol.py --benchmark-only``
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop

from fastcore import App
from fastcore._speedups.http_parser import RequestHead
from fastcore._speedups.protocol import HttpProtocol, ServerState
from fastcore.responses import PlainTextResponse
from fastcore.server import ServerConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "load" / "apps"))
import uvloop_protocol  # noqa: E402
from _null_transport import NullTransport  # noqa: E402

REQUEST = (
    b"GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
)
PIPELINE = REQUEST * 16
PREBUILT = PlainTextResponse(b"Hello, World!")


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = uvloop.new_event_loop()
    asyncio.set_event_loop(event_loop)
    yield event_loop
    asyncio.set_event_loop(None)
    event_loop.close()


async def prebuilt(request: Any) -> PlainTextResponse:
    return PREBUILT


async def per_request(request: Any) -> PlainTextResponse:
    return PlainTextResponse(b"Hello, World!")


def fastcore_protocol(loop: asyncio.AbstractEventLoop, kind: str) -> Any:
    state = ServerState(ServerConfig(), loop)
    if kind == "app":
        app = App()

        @app.get("/plaintext")
        async def plaintext() -> PlainTextResponse:
            return PlainTextResponse("Hello, World!")

        protocol = HttpProtocol(app.build_dispatch(), state, app.request_class)
    else:
        protocol = HttpProtocol(prebuilt if kind == "prebuilt" else per_request, state, RequestHead)
    protocol.connection_made(NullTransport())
    return protocol


def peer_protocol() -> Any:
    protocol = uvloop_protocol.HttpProtocol()
    protocol.connection_made(NullTransport())  # type: ignore[arg-type]
    return protocol


@pytest.mark.benchmark(group="protocol-one-request")
@pytest.mark.parametrize("kind", ["prebuilt", "per_request", "app"])
def test_fastcore(benchmark: Any, loop: asyncio.AbstractEventLoop, kind: str) -> None:
    benchmark(fastcore_protocol(loop, kind).data_received, REQUEST)


@pytest.mark.benchmark(group="protocol-one-request")
def test_uvloop_httptools_fixed_bytes(benchmark: Any) -> None:
    benchmark(peer_protocol().data_received, REQUEST)


@pytest.mark.benchmark(group="protocol-pipeline-16")
@pytest.mark.parametrize("kind", ["prebuilt", "app"])
def test_fastcore_pipeline(benchmark: Any, loop: asyncio.AbstractEventLoop, kind: str) -> None:
    benchmark(fastcore_protocol(loop, kind).data_received, PIPELINE)


@pytest.mark.benchmark(group="protocol-pipeline-16")
def test_uvloop_httptools_fixed_bytes_pipeline(benchmark: Any) -> None:
    benchmark(peer_protocol().data_received, PIPELINE)
