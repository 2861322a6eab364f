"""The demo app as the tests use it: production mode, test key and hosts, a temporary database.

The demo renders templates, so its security stack is on and, with debug off,
needs a secret key and allowed hosts. Tests give it both through its settings
(before the app is first built) instead of the environment, which every other
test in the process shares.

The demo keeps its notes and accounts in ``fastcore-demo.sqlite3`` in the
system's temporary folder unless ``DATABASE_URL`` names another database,
and it reads that once, on import; its emails go to ``fastcore-demo-mail/``
next to it. Tests must never write into a user's demo data (or into the
database of the user's own ``DATABASE_URL``), so the first call of
:func:`demo_app` imports the demo with ``DATABASE_URL`` pointing to a file in
a temporary folder of its own, and sends its mail there too; the folder is
removed when the process ends. Tests reach the demo only through
:func:`demo_app` (tests/test_demo_data_untouched.py checks it).
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from fastcore import App
from fastcore.mail import FileMailBackend

DEMO_TEST_SECRET = "demo-tests_K3y-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"

#: The TestClient's host, and the LiveServer's.
TEST_HOSTS = ["testserver", "127.0.0.1", "localhost"]

DEMO_MODULE = "examples.demo.app"


def _import_demo_with_a_temporary_database() -> App:
    folder = Path(tempfile.mkdtemp(prefix="fastcore-demo-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{folder / 'demo.sqlite3'}"
    try:
        module = importlib.import_module(DEMO_MODULE)
    finally:  # the rest of the process keeps its own environment
        if previous is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = previous
    database = module.database.url.database
    if not database or not Path(database).is_relative_to(folder):
        raise RuntimeError(f"the demo did not take the test database: it uses {database!r}")
    importlib.import_module("examples.demo.accounts").auth.mail = FileMailBackend(folder / "mail")
    app: App = module.app
    return app


#: The demo, once demo_app() has imported it.
_demo: App | None = None


def demo_app() -> App:
    """Return the demo app on its test database, configured for tests unless configured already."""
    global _demo
    if _demo is None:
        if DEMO_MODULE in sys.modules:
            raise RuntimeError(
                f"{DEMO_MODULE} was imported before tests.demo_support.demo_app(), so it "
                "uses the user's demo database: tests must get the demo from demo_app()"
            )
        _demo = _import_demo_with_a_temporary_database()
    app = _demo
    if not app.settings.secret_key:
        app.settings.secret_key = DEMO_TEST_SECRET
    if not app.settings.allowed_hosts:
        app.settings.allowed_hosts = list(TEST_HOSTS)
    return app
