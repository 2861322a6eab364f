"""The fastcore pytest plugin: ``app``, ``client``, ``live_server``, ``db`` and user helpers.

pytest loads it through the ``pytest11`` entry point of the installed
package; nothing runs until a test asks for a fixture. Point it at the app::

    # pyproject.toml
    [tool.pytest.ini_options]
    fastcore_app = "myproject.app:app"

(or ``FASTCORE_APP=myproject.app:app``, or a ``conftest.py`` fixture named
``app`` returning the App), then::

    def test_home(client):
        assert client.get("/").status_code == 200

    def test_notes_are_rolled_back(client, db):
        db.add(Note(text="hi"))
        db.commit()
        assert "hi" in client.get("/notes").text

An app with a Database runs its tests on a test database, never on the one it
is configured with: a SQLite file in pytest's temporary folder, or the URL in
the ``fastcore_test_database_url`` option / ``FASTCORE_TEST_DATABASE_URL``
(its model tables are created at the first test and dropped after the last).
See docs/testing.md.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fastcore.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from fastcore.auth.config import Auth
    from fastcore.orm.database import Database
    from fastcore.orm.session import SyncSession
    from fastcore.testing.client import TestClient, TestResponse
    from fastcore.testing.live_server import LiveServer
    from fastcore.testing.loop import LoopThread

# NOTE: pytest imports this module in every run of every project where
# fastcore is installed; the fixtures import what they need when used, so a
# test run that uses none of them loads no more of fastcore than this.

__all__ = [
    "APP_OPTION",
    "APP_VARIABLE",
    "DATABASE_OPTION",
    "DATABASE_VARIABLE",
    "DEFAULT_PASSWORD",
    "TestDatabases",
]

#: The ini option and environment variable naming the App (``module:attribute``).
APP_OPTION = "fastcore_app"
APP_VARIABLE = "FASTCORE_APP"
#: The ini option and environment variable naming the test database's URL.
DATABASE_OPTION = "fastcore_test_database_url"
DATABASE_VARIABLE = "FASTCORE_TEST_DATABASE_URL"
#: The password ``create_user`` gives, and ``login`` tries, unless told otherwise.
DEFAULT_PASSWORD = "fastcore-test-password-1"

_CSRF_FIELD = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the plugin's ini options."""
    parser.addini(APP_OPTION, f"the App to test, as module:attribute (else ${APP_VARIABLE})")
    parser.addini(
        DATABASE_OPTION,
        f"the database URL tests run on (else ${DATABASE_VARIABLE}, else a SQLite file in "
        "pytest's temporary folder); its model tables are dropped after the run",
    )


class TestDatabases:
    """The session's test database: where apps are pointed, whose tables exist.

    Args:
        url: The test database's URL.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, url: str) -> None:
        self.url = url
        self._prepared: dict[int, Database] = {}

    def prepare(self, database: Database, loop: LoopThread) -> None:
        """Point ``database`` at the test URL; create its tables the first time."""
        from sqlalchemy.engine import make_url

        if database.url != make_url(self.url):
            database.use_url(self.url)
            if database.url.get_backend_name() == "sqlite" and database.url.database in (
                None,
                "",
                ":memory:",
            ):
                raise ImproperlyConfigured(
                    "the test database cannot be an in-memory SQLite database (it lives only "
                    "as long as one engine): use a file, or leave the option unset"
                )
        key = id(database.metadata)
        if key in self._prepared:
            return
        self._prepared[key] = database

        async def create() -> None:
            async with database:
                # NOTE: leftovers of an interrupted run go first, so every
                # session starts from empty tables.
                await database.drop_all()
                await database.create_all()

        loop.run(create())

    def drop(self) -> None:
        """Drop the tables :meth:`prepare` created (at the end of the session)."""
        import asyncio

        async def drop(database: Database) -> None:
            async with database:
                await database.drop_all()

        for database in self._prepared.values():
            if database.loop is None:  # every test has disconnected it by now
                asyncio.run(drop(database))
        self._prepared.clear()


@pytest.fixture(scope="session")
def fastcore_test_databases(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabases]:
    """The session's :class:`TestDatabases` (URL: the option, the variable, or a temp file)."""
    url = str(pytestconfig.getini(DATABASE_OPTION) or "") or os.environ.get(DATABASE_VARIABLE)
    if not url:
        folder: Path = tmp_path_factory.mktemp("fastcore-db")
        url = f"sqlite+aiosqlite:///{folder / 'test.sqlite3'}"
    databases = TestDatabases(url)
    yield databases
    databases.drop()


@pytest.fixture
def fastcore_loop() -> Iterator[LoopThread]:
    """The event loop (in a background thread) the app, its database and the live server share."""
    from fastcore.testing.loop import LoopThread

    loop = LoopThread()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture
def app(pytestconfig: pytest.Config) -> Any:
    """The App under test: from the ``fastcore_app`` ini option or ``$FASTCORE_APP``.

    Override this fixture in a ``conftest.py`` to build the app yourself.
    """
    from fastcore.app_loader import import_app

    spec = str(pytestconfig.getini(APP_OPTION) or "") or os.environ.get(APP_VARIABLE, "")
    if not spec:
        pytest.fail(
            f"the fastcore fixtures need the app: set {APP_OPTION} = 'module:app' in "
            f"[tool.pytest.ini_options] (or ${APP_VARIABLE}), or define an 'app' fixture",
            pytrace=False,
        )
    try:
        return import_app(spec)
    except ImproperlyConfigured as exc:
        pytest.fail(f"{APP_OPTION} = {spec!r}: {exc}", pytrace=False)


def find_database(app: Any) -> Database | None:
    """The Database set up on ``app`` with ``Database.init_app``, or None."""
    if "fastcore.orm.session" not in sys.modules:
        return None  # no app can have the session middleware: skip importing SQLAlchemy
    from fastcore.orm.session import DatabaseSessionMiddleware

    for spec in getattr(app, "middleware", ()):
        if spec.cls is DatabaseSessionMiddleware:
            database: Database = spec.options["database"]
            return database
    return None


@pytest.fixture
def fastcore_database(
    app: Any, fastcore_test_databases: TestDatabases, fastcore_loop: LoopThread
) -> Iterator[Database | None]:
    """The app's Database, pointed at the test database with its tables created (None if none)."""
    database = find_database(app)
    if database is None:
        yield None
        return
    try:
        fastcore_test_databases.prepare(database, fastcore_loop)
    except ImproperlyConfigured as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield database
    finally:
        # A helper may have connected it outside the app's startup.
        fastcore_loop.run(database.disconnect())


@pytest.fixture
def client(
    app: Any, fastcore_database: Database | None, fastcore_loop: LoopThread
) -> Iterator[TestClient]:
    """A :class:`~fastcore.testing.TestClient` on the app, with its startup and shutdown run."""
    from fastcore.testing.client import TestClient

    with TestClient(app, loop=fastcore_loop.loop) as test_client:
        yield test_client


@pytest.fixture
def live_server(
    app: Any, fastcore_database: Database | None, fastcore_loop: LoopThread
) -> Iterator[LiveServer]:
    """The app on the real server at ``live_server.url`` (127.0.0.1, a free port)."""
    from fastcore.testing.live_server import LiveServer

    with LiveServer(app, loop=fastcore_loop.loop) as server:
        yield server


@pytest.fixture
def db(
    request: pytest.FixtureRequest,
    fastcore_database: Database | None,
    fastcore_loop: LoopThread,
) -> Iterator[SyncSession]:
    """A session inside the test's transaction, rolled back after the test.

    Every session of the app (each request's ``request.db``) joins the same
    transaction: what the test adds is visible to requests once it calls
    ``db.commit()`` (or ``db.flush()``), and nothing survives the test.
    """
    from fastcore.orm.session import SyncSession
    from fastcore.testing.transactions import TestTransaction

    if fastcore_database is None:
        pytest.fail(
            "the db fixture needs an app with a database: Database(...).init_app(app)",
            pytrace=False,
        )
    # The app starts first and stops last: its shutdown disposes the engine,
    # which must come after the transaction has returned its connection.
    for name in ("client", "live_server"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
    transaction = TestTransaction(
        fastcore_database, serialize="live_server" in request.fixturenames
    )
    fastcore_loop.run(transaction.begin())
    try:
        yield SyncSession(transaction.session, fastcore_loop.loop)
    finally:
        fastcore_loop.run(transaction.end())


def find_auth(app: Any) -> Auth | None:
    """The Auth set up on ``app`` with ``Auth.init_app``, or None."""
    if "fastcore.auth.middleware" not in sys.modules:
        return None
    from fastcore.auth.middleware import AuthenticationMiddleware

    for spec in getattr(app, "middleware", ()):
        if spec.cls is AuthenticationMiddleware:
            auth: Auth = spec.options["auth"]
            return auth
    return None


@pytest.fixture
def create_user(
    request: pytest.FixtureRequest,
    app: Any,
    fastcore_database: Database | None,
    fastcore_loop: LoopThread,
) -> Callable[..., Any]:
    """A function that saves a user: ``create_user("ada", is_staff=True)``.

    The password is :data:`DEFAULT_PASSWORD` unless given. With the ``db``
    fixture the user lives in the test's transaction (rolled back after it);
    without it, the user is committed to the test database.
    """
    auth = find_auth(app)
    if auth is None or fastcore_database is None:
        pytest.fail(
            "create_user needs an app with a database and auth: Database(...).init_app(app), "
            "then Auth(...).init_app(app)",
            pytrace=False,
        )
    database = fastcore_database
    joined: SyncSession | None = (
        request.getfixturevalue("db") if "db" in request.fixturenames else None
    )

    def create(username: str = "user", password: str = DEFAULT_PASSWORD, **fields: Any) -> Any:
        async def save() -> Any:
            user = auth.user_model(
                username=username, password=await auth.hasher.hash_async(password), **fields
            )
            if joined is not None:
                joined.async_session.add(user)
                await joined.async_session.commit()
                return user
            if database.loop is None:
                await database.connect()  # disconnected by the fastcore_database fixture
            async with database.session() as session:
                session.add(user)
            return user

        return fastcore_loop.run(save())

    return create


@pytest.fixture
def login(request: pytest.FixtureRequest, app: Any) -> Callable[..., TestResponse]:
    """A function that logs a user in through the app's login form.

    ``login(user)`` (a user object or a username) posts the login form of
    ``auth_routes`` with its CSRF token, on the ``client`` fixture unless
    ``client=`` is given; the client's cookie jar then carries the session.
    The password is :data:`DEFAULT_PASSWORD` unless given.
    """

    def log_in(
        user: Any,
        password: str = DEFAULT_PASSWORD,
        *,
        client: TestClient | None = None,
        url: str | None = None,
    ) -> TestResponse:
        test_client: TestClient = client or request.getfixturevalue("client")
        username = user if isinstance(user, str) else user.username
        login_url = url or app.url_for("auth.login")
        form = test_client.get(login_url)
        fields = {"username": username, "password": password}
        token = _CSRF_FIELD.search(form.text)
        if token is not None:
            fields["csrf_token"] = token.group(1)
        response = test_client.post(login_url, data=fields, follow_redirects=False)
        if not response.is_redirect:
            pytest.fail(
                f"logging in as {username!r} at {login_url} answered {response.status_code} "
                "(wrong password, or an inactive user?)",
                pytrace=False,
            )
        return response

    return log_in
