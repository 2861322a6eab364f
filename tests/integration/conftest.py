"""Fixtures: a live fastcore server (127.0.0.1, port 0) around a dispatch or an app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fastcore.server import ServerConfig
from tests.integration.helpers import DispatchApp, LiveServer


@pytest.fixture
def serve() -> Iterator[Callable[..., LiveServer]]:
    """Start servers for the test; ``serve(dispatch_or_app, **config)``."""
    servers: list[LiveServer] = []

    def start(app: Any, **options: Any) -> LiveServer:
        if not hasattr(app, "build_dispatch") and not options.pop("asgi", False):
            app = DispatchApp(app)
        server = LiveServer(app, ServerConfig(**options)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
