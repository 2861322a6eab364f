"""PostgreSQL: a plain ``select(Model)`` loads directly and behaves as SQLAlchemy's.

Whether SQLAlchemy ran a statement is seen through its public engine event
``before_cursor_execute`` (``Statements``): the direct load sends none
through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import ForeignKey, event, inspect, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fastcore import App, Request
from fastcore.orm import Database, IdMixin
from fastcore.testing import AsyncTestClient
from tests.orm.orm_support import Base, Item, Statements, Target


class FastSelectShelf(IdMixin, Base):
    __tablename__ = "fast_select_shelves"
    label: Mapped[str]
    books: Mapped[list[FastSelectBook]] = relationship(lazy="selectin")


class FastSelectBook(IdMixin, Base):
    __tablename__ = "fast_select_books"
    shelf_id: Mapped[int] = mapped_column(ForeignKey("fast_select_shelves.id"))


@pytest.fixture
def pg(target: Target) -> Iterator[Target]:
    if target.backend != "postgresql":
        pytest.skip("the direct select is for PostgreSQL (asyncpg)")
    yield target


async def connected(target: Target) -> AsyncIterator[tuple[Database, Statements]]:
    database = target.database()
    await database.connect()
    try:
        await database.create_all()
        async with database.session() as session:
            session.add_all([Item(name="one"), Item(name="two"), FastSelectShelf(label="s")])
        yield database, Statements(database)
    finally:
        await database.disconnect()


def run(target: Target, scenario: Any) -> None:
    async def main() -> None:
        async for database, statements in connected(target):
            await scenario(database, statements)

    asyncio.run(main())


def _columns(instance: Any) -> dict[str, Any]:
    return {attr.key: getattr(instance, attr.key) for attr in inspect(Item).column_attrs}


def test_select_model_loads_persistent_instances_like_sqlalchemy(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        direct = database.new_session()
        plain = database.new_session()
        try:
            items = list(await direct.scalars(select(Item)))
            assert statements.sql == []  # loaded directly
            expected = list(
                await plain.scalars(select(Item), execution_options={"populate_existing": True})
            )
            assert statements.sql  # an argument of the call: SQLAlchemy ran it
            assert [_columns(i) for i in items] == [_columns(i) for i in expected]
            for item in items:
                state = inspect(item)
                assert state.persistent and item in direct and state.committed_state == {}
            assert not direct.dirty
            # The identity map: get and later queries return the same objects.
            assert await direct.get(Item, items[0].id) is items[0]
            again = list(await direct.scalars(select(Item)))
            assert [id(i) for i in again] == [id(i) for i in items]
            # The unit of work sees changes to them.
            items[0].name = "renamed"
            assert items[0] in direct.dirty
            await direct.commit()
        finally:
            await direct.close()
            await plain.close()
        async with database.session() as check:
            names = set(await check.scalars(select(Item.name)))
            assert "renamed" in names

    run(pg, scenario)


def test_execute_returns_rows_keyed_by_the_entity(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        direct = database.new_session()
        plain = database.new_session()
        try:
            result = await direct.execute(select(Item))
            assert statements.sql == []
            expected = await plain.execute(select(Item).execution_options(populate_existing=True))
            assert list(result.keys()) == list(expected.keys()) == ["Item"]
            assert [row.Item.name for row in result] == [row.Item.name for row in expected]
        finally:
            await direct.close()
            await plain.close()

    run(pg, scenario)


def test_anything_added_to_the_statement_runs_through_sqlalchemy(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        for statement in (
            select(Item).where(Item.name == "two"),
            select(Item).order_by(Item.name.desc()),
            select(Item).limit(1),
            select(Item).filter_by(name="one"),
            select(Item).with_for_update(),
            select(Item).execution_options(populate_existing=True),
            select(Item, Item.name),
            select(Item.name),
            select(FastSelectShelf),  # an eager relationship
        ):
            statements.sql.clear()
            session = database.new_session()
            try:
                await session.execute(statement)
                assert statements.sql, statement
            finally:
                await session.close()
        # ... and with the filter, the right rows.
        async with database.session() as session:
            rows = list(await session.scalars(select(Item).where(Item.name == "two")))
            assert [item.name for item in rows] == ["two"]

    run(pg, scenario)


def test_pending_changes_are_flushed_first(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        session = database.new_session()
        try:
            session.add(Item(name="pending"))
            names = [item.name for item in await session.scalars(select(Item))]
            assert "pending" in names  # autoflush, as SQLAlchemy does
            assert any(s.startswith("INSERT") for s in statements.sql)
        finally:
            await session.rollback()
            await session.close()

    run(pg, scenario)


def test_loaded_as_persistent_listeners_still_run(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        session = database.new_session()
        seen: list[Any] = []
        event.listen(session.sync_session, "loaded_as_persistent", lambda s, st: seen.append(st))
        try:
            items = list(await session.scalars(select(Item)))
            assert len(seen) == len(items) > 0
        finally:
            await session.close()

    run(pg, scenario)


def test_concurrent_requests_through_the_direct_loads_see_only_committed_rows(
    target: Target,
) -> None:
    # On SQLite the same requests run through SQLAlchemy: the same answers.
    app, _ = target.app({"name": "seed"})

    async def names(db: Any) -> list[str]:
        return [item.name for item in await db.scalars(select(Item))]

    @app.post("/direct/{number:int}")
    async def direct(request: Request, number: int):
        db = request.db
        # Both direct loads, each first in half the requests (the second one
        # finds a non-empty identity map: SQLAlchemy's path).
        if number % 4 < 2:
            seed = await db.get(Item, 1)
            before = await names(db)
        else:
            before = await names(db)
            seed = await db.get(Item, 1)
        if number % 3 == 0:
            return {"before": before, "after": before, "seed": seed.name}
        db.add(Item(name=f"direct-{number}", tag="direct"))
        await db.flush()
        await asyncio.sleep(0.005)  # others read while this is uncommitted
        after = await names(db)
        return {"before": before, "after": after, "seed": seed.name}, (500 if number % 2 else 200)

    async def scenario() -> list[Any]:
        async with AsyncTestClient(app) as client:
            return await asyncio.wait_for(
                asyncio.gather(*(client.post(f"/direct/{n}") for n in range(100))), 60
            )

    responses = asyncio.run(scenario())
    failed = {f"direct-{n}" for n in range(100) if n % 3 and n % 2}
    for number, response in enumerate(responses):
        body = response.json()
        assert body["seed"] == "seed"
        seen = set(body["before"]) | set(body["after"])
        assert not (seen - {f"direct-{number}"}) & failed  # never another's uncommitted row
        if number % 3:
            assert response.status_code == (500 if number % 2 else 200)
            assert f"direct-{number}" in body["after"]  # its own write
            assert f"direct-{number}" not in body["before"]


def test_direct_loads_inside_a_written_transaction_see_its_writes_and_no_others(
    target: Target,
) -> None:
    # 100 concurrent requests, a third only reading (a direct select on the
    # session's read connection, no BEGIN), the others writing their own row
    # first and then reading it back through a direct get or a direct select,
    # which run on the session's connection inside the request's transaction;
    # half of the writers fail and roll back. (No engine listener here: one
    # would turn the read connection off.)
    app, database = target.app(*({"name": f"seed-{n}"} for n in range(100)))

    async def names(db: Any) -> list[str]:
        return [item.name for item in await db.scalars(select(Item))]

    @app.post("/rw/{number:int}")
    async def read_write(request: Request, number: int):
        db = request.db
        if number % 3 == 0:
            seen = await names(db)
            return {"seen": seen, "in_transaction": db.in_transaction()}
        row = number + 1
        await db.execute(
            update(Item).where(Item.id == row).values(name=f"w-{number}"),
            execution_options={"synchronize_session": False},
        )
        await asyncio.sleep(0.005)  # others read while this row is uncommitted
        if number % 4 < 2:
            own = (await db.get(Item, row)).name
            seen = [own]
        else:
            seen = await names(db)
            own = next(name for name in seen if name in (f"w-{number}", f"seed-{number}"))
        return {"own": own, "seen": seen}, (500 if number % 2 else 200)

    async def scenario() -> tuple[list[Any], list[str]]:
        async with AsyncTestClient(app) as client:
            responses = await asyncio.wait_for(
                asyncio.gather(*(client.post(f"/rw/{n}") for n in range(100))), 60
            )
            async with database.session() as session:
                final = [item.name for item in await session.scalars(select(Item))]
            return responses, final

    responses, final = asyncio.run(scenario())
    failed = {f"w-{n}" for n in range(100) if n % 3 and n % 2}
    for number, response in enumerate(responses):
        body = response.json()
        assert not (set(body["seen"]) - {f"w-{number}"}) & failed  # never another's rollback
        if number % 3:
            assert response.status_code == (500 if number % 2 else 200)
            assert body["own"] == f"w-{number}"  # its own uncommitted write
        else:
            assert body["in_transaction"] is True  # as after any SQLAlchemy query
    assert not set(final) & failed
    assert {f"w-{n}" for n in range(100) if n % 3 and not n % 2} <= set(final)


def test_a_request_that_reads_directly_then_writes_needs_one_connection(target: Target) -> None:
    # A pool of one: the connection the direct reads took must go back to the
    # pool before SQLAlchemy takes one for the write, or the write would wait
    # for it forever (here: until the pool timeout, a 500).
    app = App()
    database = Database(
        target.url,
        engine_options={"connect_args": target.connect_args},
        metadata=Base.metadata,
        pool_size=1,
        max_overflow=0,
        pool_timeout=3,
    )
    database.init_app(app)

    @app.on_startup
    async def create_tables() -> None:
        await database.create_all()
        async with database.session() as session:
            session.add_all([Item(name="one"), Item(name="two")])

    @app.post("/read-then-write/{number:int}")
    async def read_then_write(request: Request, number: int):
        db = request.db
        first = await db.get(Item, 1)
        names = [item.name for item in await db.scalars(select(Item))]
        db.add(Item(name=f"added-{number}"))
        await db.flush()  # a write: SQLAlchemy's own connection
        again = await db.get(Item, 2)  # after the write: on the transaction's connection
        if number == 0:
            await db.commit()  # an explicit commit, then a read that starts anew
            assert db.in_transaction() is False
            assert await db.get(Item, 1) is first  # the identity map: no query
            assert db.in_transaction() is False
            assert await db.get(Item, 10**6) is None  # a query: the session autobegins
            assert db.in_transaction() is True
        return {"first": first.name, "names": names, "again": again.name}

    async def scenario() -> tuple[list[Any], list[str]]:
        async with AsyncTestClient(app) as client:
            responses = await asyncio.wait_for(
                asyncio.gather(*(client.post(f"/read-then-write/{n}") for n in range(10))), 60
            )
            async with database.session() as session:
                final = [item.name for item in await session.scalars(select(Item))]
            return responses, final

    responses, final = asyncio.run(scenario())
    assert [response.status_code for response in responses] == [200] * 10
    assert all(response.json()["first"] == "one" for response in responses)
    assert all(response.json()["again"] == "two" for response in responses)
    assert sorted(final) == sorted(["one", "two", *(f"added-{n}" for n in range(10))])
