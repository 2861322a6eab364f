"""SQLite's busy timeout comes from connect_args, on the ORM and on the fast path."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from fastcore.orm import Database
from tests.orm.orm_support import Base, Item


def test_a_locked_database_fails_after_the_configured_timeout(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    database = Database(
        f"sqlite+aiosqlite:///{path}",
        metadata=Base.metadata,
        engine_options={"connect_args": {"timeout": 0.3}},
    )

    async def scenario() -> tuple[float, float]:
        await database.connect()
        try:
            await database.create_all()
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            try:
                started = time.monotonic()
                with pytest.raises(OperationalError, match="locked"):
                    async with database.session() as session:
                        session.add(Item(name="blocked"))
                        await session.flush()
                orm_wait = time.monotonic() - started
                started = time.monotonic()
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    await database.execute("INSERT INTO items (name) VALUES (:name)", {"name": "x"})
                fast_wait = time.monotonic() - started
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            return orm_wait, fast_wait
        finally:
            await database.disconnect()

    orm_wait, fast_wait = asyncio.run(scenario())
    # Waited for the lock (not an immediate failure), but the configured 0.3 s,
    # not a built-in 5 s.
    assert 0.25 <= orm_wait < 4
    assert 0.25 <= fast_wait < 4
