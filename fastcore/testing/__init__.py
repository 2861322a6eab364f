"""Testing helpers: an in-process client and a live-server fixture."""

from __future__ import annotations

from fastcore.testing.client import AsyncTestClient as AsyncTestClient
from fastcore.testing.client import TestClient as TestClient
from fastcore.testing.client import TestResponse as TestResponse

__all__ = ["AsyncTestClient", "TestClient", "TestResponse"]
