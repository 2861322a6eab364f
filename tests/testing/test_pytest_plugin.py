"""The pytest plugin, exercised as a user would: a project in a temporary folder runs pytest.

Each scenario writes a small project (tests/testing/plugin_project.py) and
runs pytest on it in a subprocess, where the plugin arrives through the
installed package's ``pytest11`` entry point, as it does for a user.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.orm.orm_support import PG_URL, create_schema, drop_schema, postgres_unavailable
from tests.testing import plugin_project

pytest_plugins = ["pytester"]

# NOTE: pytester removes from sys.modules what a test imported; a compiled
# extension (asyncpg's protocol) imported twice crashes the interpreter, so
# the PostgreSQL probe's imports happen here, before any pytester snapshot.
postgres_unavailable()


def write_project(pytester: pytest.Pytester, tests: str = plugin_project.TESTS) -> None:
    pytester.makefile(".ini", pytest=plugin_project.INI)
    pytester.makepyfile(notesapp=plugin_project.APP, test_notes=tests)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # NOTE: a subprocess, so the project imports its own modules (and its
    # models register their tables) in a fresh interpreter, as under a user.
    # The other installed plugins stay out: importing schemathesis alone
    # costs seconds per run, and the plugin must not depend on any of them.
    others = ("no:cacheprovider", "no:schemathesis", "no:hypothesispytest", "no:anyio")
    options = [option for plugin in others for option in ("-p", plugin)]
    return pytester.runpytest_subprocess(*options, *args, timeout=300)


def test_fixtures_on_sqlite_roll_back_and_never_touch_the_app_database(
    pytester: pytest.Pytester,
) -> None:
    write_project(pytester)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=9)
    assert not (pytester.path / "dev.sqlite3").exists()


def _tables_in(schema: str) -> list[str]:
    import asyncpg  # type: ignore[import-untyped]  # imported by the probe above

    async def query() -> list[str]:
        connection = await asyncpg.connect(PG_URL.replace("+asyncpg", ""), timeout=5)
        try:
            rows = await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                schema,
            )
        finally:
            await connection.close()
        return sorted(row["table_name"] for row in rows)

    return asyncio.run(query())


@pytest.mark.postgres
def test_fixtures_on_postgresql_roll_back_and_drop_their_tables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    schema = create_schema()
    try:
        monkeypatch.setenv("FASTCORE_TEST_DATABASE_URL", PG_URL)
        monkeypatch.setenv("NOTES_SCHEMA", schema)
        write_project(pytester)
        result = run(pytester, "-v")
        result.assert_outcomes(passed=9)
        assert not (pytester.path / "dev.sqlite3").exists()
        # The run created the model tables in the test database, then dropped them.
        assert _tables_in(schema) == []
    finally:
        drop_schema(schema)


def test_without_an_app_the_fixtures_say_how_to_name_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_it="def test_home(client):\n    client.get('/')\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fastcore_app = 'module:app'*FASTCORE_APP*'app' fixture*"])


def test_the_app_comes_from_the_environment_and_db_needs_a_database(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTCORE_APP", "plainapp:app")
    pytester.makepyfile(
        plainapp=plugin_project.PLAIN_APP,
        test_it=(
            "def test_home(client):\n"
            "    assert client.get('/').text == 'plain'\n"
            "def test_db(db):\n"
            "    pass\n"
        ),
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the db fixture needs an app with a database*"])


def test_an_app_fixture_in_conftest_overrides_the_option(pytester: pytest.Pytester) -> None:
    pytester.makefile(".ini", pytest="[pytest]\nfastcore_app = nowhere:app\n")
    pytester.makeconftest(
        "import pytest\n"
        "from fastcore import App\n"
        "@pytest.fixture\n"
        "def app():\n"
        "    app = App()\n"
        "    app.get('/')(lambda: 'from conftest')\n"
        "    return app\n"
    )
    pytester.makepyfile(
        test_it=(
            "def test_home(client, live_server):\n"
            "    import urllib.request\n"
            "    assert client.get('/').text == 'from conftest'\n"
            "    with urllib.request.urlopen(live_server.url + '/', timeout=10) as response:\n"
            "        assert response.read() == b'from conftest'\n"
        )
    )
    run(pytester).assert_outcomes(passed=1)


def test_a_misnamed_app_and_a_failed_login_are_reported_plainly(
    pytester: pytest.Pytester,
) -> None:
    write_project(
        pytester,
        tests=(
            "def test_login(client, db, create_user, login):\n"
            "    create_user('ada')\n"
            "    login('ada', password='not the password')\n"
        ),
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*logging in as 'ada' at /accounts/login answered 400*"])
    Path(pytester.path / "pytest.ini").write_text("[pytest]\nfastcore_app = notesap:app\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fastcore_app = 'notesap:app': cannot import module 'notesap'*"])
