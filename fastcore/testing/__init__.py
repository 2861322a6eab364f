"""Testing helpers: an in-process client and a live-server fixture."""

from __future__ import annotations

from fastcore.testing.client import AsyncTestClient as AsyncTestClient
from fastcore.testing.client import TestClient as TestClient
from fastcore.testing.client import TestResponse as TestResponse
from fastcore.testing.live_server import LiveServer as LiveServer
from fastcore.testing.websocket import WebSocketRejected as WebSocketRejected

__all__ = ["AsyncTestClient", "LiveServer", "TestClient", "TestResponse", "WebSocketRejected"]
