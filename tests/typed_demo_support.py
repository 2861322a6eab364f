"""The demo app for the typed-API tests, configured as the other demo tests configure it."""

from __future__ import annotations

from fastcore import App
from tests.demo_support import demo_app


def typed_demo_app() -> App:
    """The demo app on its test database (see tests/demo_support.py)."""
    return demo_app()
