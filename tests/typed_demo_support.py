"""The demo app for the typed-API tests, configured as the other demo tests configure it."""

from __future__ import annotations

from fastcore import App


def typed_demo_app() -> App:
    """The demo app, configured for tests by tests/demo_support.py when that exists."""
    try:
        from tests.demo_support import demo_app
    except ImportError:  # NOTE: before the default security stack's test support lands
        from examples.demo.app import app

        return app
    return demo_app()
