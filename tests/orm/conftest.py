"""Every database test runs on SQLite and on the real PostgreSQL (skipped if absent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.orm.orm_support import (
    PG_URL,
    Target,
    create_schema,
    drop_schema,
    postgres_unavailable,
)

# A generous busy timeout: the concurrency tests queue up to 100 writers on
# SQLite's one write lock, which takes longer than 5 s on a loaded machine.
SQLITE_ARGS = {"timeout": 60}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A private database per test: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield Target("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}", SQLITE_ARGS)
        return
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    schema = create_schema()
    try:
        yield Target("postgresql", PG_URL, {"server_settings": {"search_path": schema}})
    finally:
        drop_schema(schema)
