"""The fast path: text and Core queries, light rows, batches, transactions, statement caching."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import bindparam, insert, select, update

from fastcore.orm import Database, Row
from tests.orm.orm_support import Item, Target

ITEMS = Item.__table__


def run(target: Target, body: Callable[[Database], Awaitable[Any]]) -> Any:
    async def scenario() -> Any:
        async with target.database(pool_size=2) as database:
            await database.create_all()
            return await body(database)

    return asyncio.run(scenario())


def test_text_queries_with_named_parameters(target: Target) -> None:
    async def body(db: Database) -> None:
        assert await db.execute("INSERT INTO items (name) VALUES (:name)", {"name": "a"}) == 1
        await db.execute_many(
            "INSERT INTO items (name, tag) VALUES (:name, :tag)",
            [{"name": f"n{i}", "tag": "batch"} for i in range(5)],
        )
        rows = await db.fetch_all(
            "SELECT id, name FROM items WHERE tag = :tag ORDER BY id", {"tag": "batch"}
        )
        assert [row.name for row in rows] == [f"n{i}" for i in range(5)]
        first = rows[0]
        assert isinstance(first, Row) and isinstance(first, tuple)
        assert first["name"] == first.name == first[1] == "n0"
        assert first.keys() == ["id", "name"]
        assert first.as_dict() == {"id": first.id, "name": "n0"}
        with pytest.raises(AttributeError):
            _ = first.missing
        assert await db.fetch_val("SELECT count(*) FROM items") == 6
        assert await db.fetch_one("SELECT id FROM items WHERE name = :n", {"n": "zz"}) is None
        updated = await db.execute(
            "UPDATE items SET tag = :t WHERE tag = :old", {"t": "x", "old": "batch"}
        )
        assert updated == 5

    run(target, body)


def test_core_statements_compiled_once_with_bound_defaults(target: Target) -> None:
    by_name = select(ITEMS.c.id, ITEMS.c.name).where(ITEMS.c.name == bindparam("name"))
    literal = select(ITEMS.c.name).where(ITEMS.c.name == "b")  # the value is bound, not inlined

    async def body(db: Database) -> None:
        # Python-side column defaults (the timestamps) are computed per call.
        await db.execute(insert(ITEMS).values(name=bindparam("name")), {"name": "b"})
        for _ in range(3):
            row = await db.fetch_one(by_name, {"name": "b"})
            assert row is not None and row.name == "b"
        assert await db.fetch_val(literal) == "b"
        assert "'b'" not in db.fast._compile(literal).sql
        with pytest.raises(sqlalchemy.exc.ArgumentError, match="missing value"):
            await db.fetch_one(by_name, {})
        with pytest.raises(sqlalchemy.exc.ArgumentError, match="IN"):
            await db.fetch_all(select(ITEMS).where(ITEMS.c.id.in_([1, 2])))
        statement = update(ITEMS).where(ITEMS.c.name == bindparam("old")).values(tag="t")
        assert await db.execute(statement, {"old": "b"}) == 1
        stamps = await db.fetch_one("SELECT created_at, updated_at FROM items")
        assert stamps is not None and stamps.created_at is not None
        assert stamps.updated_at is not None

    run(target, body)


def test_fetch_each_and_fetch_many_run_once_per_parameter_set_in_order(target: Target) -> None:
    async def body(db: Database) -> None:
        await db.execute_many(
            "INSERT INTO items (id, name) VALUES (:id, :name)",
            [{"id": i, "name": f"w{i}"} for i in range(1, 21)],
        )
        wanted = [{"id": i} for i in (20, 3, 3, 999, 7)]
        rows = await db.fetch_each("SELECT id, name FROM items WHERE id = :id", wanted)
        assert [row.name if row else None for row in rows] == ["w20", "w3", "w3", None, "w7"]
        # fetch_many pipelines the runs and keeps every row, in order (none for 999).
        rows = await db.fetch_many("SELECT id, name FROM items WHERE id = :id", wanted)
        assert [row.name for row in rows] == ["w20", "w3", "w3", "w7"]
        async with db.connection() as connection:
            rows = await connection.fetch_many(
                "SELECT name FROM items WHERE id <= :n ORDER BY id", [{"n": 2}, {"n": 1}]
            )
        assert [row.name for row in rows] == ["w1", "w2", "w1"]
        assert await db.fetch_many("SELECT id FROM items WHERE id = :id", []) == []
        with pytest.raises(sqlalchemy.exc.ArgumentError, match="missing value"):
            await db.fetch_many("SELECT id FROM items WHERE id = :id", [{"id": 1}, {}])

    run(target, body)


def test_transactions_commit_or_roll_back_as_a_whole(target: Target) -> None:
    async def body(db: Database) -> None:
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO items (name) VALUES (:n)", {"n": "kept"})
        with pytest.raises(RuntimeError):
            async with db.transaction() as connection:
                await connection.execute("INSERT INTO items (name) VALUES (:n)", {"n": "lost"})
                raise RuntimeError("abort the transaction")
        with pytest.raises(Exception, match="(?i)null"):
            # The database refuses the second row: the first must not stay behind.
            await db.execute_many(
                "INSERT INTO items (name) VALUES (:n)", [{"n": "batch-1"}, {"n": None}]
            )
        async with db.connection() as connection:
            names = [row.name for row in await connection.fetch_all("SELECT name FROM items")]
        assert names == ["kept"]

    run(target, body)


def test_fast_path_needs_a_started_database(target: Target) -> None:
    from fastcore.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="not connected"):
        _ = target.database().fast


def test_rows_serialize_as_json_objects() -> None:
    from fastcore.orm.fastpath import row_class
    from fastcore.responses import JSONResponse

    row = row_class(["id", "name"])((1, "a"))
    assert JSONResponse([row]).body == b'[{"id":1,"name":"a"}]'


def test_callers_queue_for_a_small_pool_and_all_finish(target: Target) -> None:
    async def body(db: Database) -> None:
        # pool_size=2 (see run()): 40 concurrent calls wait their turn in order.
        values = await asyncio.wait_for(
            asyncio.gather(
                *(db.fetch_val("SELECT CAST(:n AS INTEGER)", {"n": n}) for n in range(40))
            ),
            20,
        )
        assert [int(v) for v in values] == list(range(40))
        assert len(db.fast._pool._all) <= 2

    run(target, body)
