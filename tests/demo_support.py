"""The demo app as the tests use it: production mode, with a test key and the test hosts.

The demo renders templates, so its security stack is on and, with debug off,
needs a secret key and allowed hosts. Tests give it both through its settings
(before the app is first built) instead of the environment, which every other
test in the process shares.
"""

from __future__ import annotations

from fastcore import App

DEMO_TEST_SECRET = "demo-tests_K3y-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"

#: The TestClient's host, and the LiveServer's.
TEST_HOSTS = ["testserver", "127.0.0.1", "localhost"]


def demo_app() -> App:
    """Return the demo app, configured for tests unless configured already."""
    from examples.demo.app import app

    if not app.settings.secret_key:
        app.settings.secret_key = DEMO_TEST_SECRET
    if not app.settings.allowed_hosts:
        app.settings.allowed_hosts = list(TEST_HOSTS)
    return app
