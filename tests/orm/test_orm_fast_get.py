"""PostgreSQL: ``request.db.get`` loads directly and behaves as ``AsyncSession.get``.

Whether SQLAlchemy ran a statement is seen through its public engine event
``before_cursor_execute``: the direct load sends none through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import ForeignKey, event, inspect, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fastcore.orm import Database, IdMixin
from tests.orm.orm_support import Base, Item, Statements, Target


class FastGetShelf(IdMixin, Base):
    __tablename__ = "fast_get_shelves"
    label: Mapped[str]
    books: Mapped[list[FastGetBook]] = relationship(back_populates="shelf")


class FastGetBook(IdMixin, Base):
    __tablename__ = "fast_get_books"
    title: Mapped[str]
    shelf_id: Mapped[int] = mapped_column(ForeignKey("fast_get_shelves.id"))
    shelf: Mapped[FastGetShelf] = relationship(back_populates="books")


class FastGetEagerShelf(IdMixin, Base):
    __tablename__ = "fast_get_eager_shelves"
    label: Mapped[str]
    items: Mapped[list[FastGetEagerBook]] = relationship(lazy="selectin")


class FastGetEagerBook(IdMixin, Base):
    __tablename__ = "fast_get_eager_books"
    shelf_id: Mapped[int] = mapped_column(ForeignKey("fast_get_eager_shelves.id"))


@pytest.fixture
def pg(target: Target) -> Iterator[Target]:
    if target.backend != "postgresql":
        pytest.skip("the direct get is for PostgreSQL (asyncpg)")
    yield target


async def connected(target: Target, **options: Any) -> AsyncIterator[tuple[Database, Statements]]:
    database = target.database(**options)
    await database.connect()
    try:
        await database.create_all()
        async with database.session() as session:
            shelf = FastGetShelf(label="top")
            session.add_all(
                [Item(name="one"), Item(name="two"), shelf, FastGetBook(title="b", shelf=shelf)]
            )
            session.add(FastGetEagerShelf(id=1, label="eager"))
        yield database, Statements(database)
    finally:
        await database.disconnect()


def run(target: Target, scenario: Any, **options: Any) -> None:
    async def main() -> None:
        async for database, statements in connected(target, **options):
            await scenario(database, statements)

    asyncio.run(main())


def test_get_loads_a_persistent_instance_without_sqlalchemys_query(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        session = database.new_session()
        try:
            item = await session.get(Item, 1)
            assert statements.sql == []  # loaded directly
            assert item is not None and item.name == "one" and item.tag is None
            assert isinstance(item.created_at, datetime) and item.created_at.tzinfo is not None
            state = inspect(item)
            assert state.persistent and not session.dirty and item in session
            assert await session.get(Item, 1) is item  # the identity map
            assert await session.get(Item, 999) is None
            # A query returns the same object, as after SQLAlchemy's own get.
            assert (await session.scalars(select(Item).where(Item.id == 1))).one() is item
            # The unit of work sees changes to it.
            item.name = "changed"
            assert item in session.dirty
            await session.commit()
        finally:
            await session.close()
        async with database.session() as check:
            assert (await check.scalar(select(Item.name).where(Item.id == 1))) == "changed"

    run(pg, scenario)


def test_the_direct_get_equals_sqlalchemys_get(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        direct = database.new_session()
        plain = database.new_session()
        try:
            a = await direct.get(Item, 2)
            b = await plain.get(Item, 2, populate_existing=True)  # any option: SQLAlchemy's get
            assert statements.sql  # the second went through SQLAlchemy
            assert a is not None and b is not None
            columns = [c.key for c in inspect(Item).column_attrs]
            assert {k: getattr(a, k) for k in columns} == {k: getattr(b, k) for k in columns}
            assert inspect(a).committed_state == inspect(b).committed_state == {}
        finally:
            await direct.close()
            await plain.close()

    run(pg, scenario)


def test_relationships_load_lazily_after_a_direct_get(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        session = database.new_session()
        try:
            book = await session.get(FastGetBook, 1)
            assert book is not None and statements.sql == []
            shelf = await book.awaitable_attrs.shelf
            assert shelf.label == "top"
            assert [b.title for b in await shelf.awaitable_attrs.books] == ["b"]
        finally:
            await session.close()

    run(pg, scenario)


def test_sqlalchemy_runs_get_when_the_direct_load_would_differ(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        session = database.new_session()
        try:
            # Eager relationship: SQLAlchemy's get loads it too.
            shelf = await session.get(FastGetEagerShelf, 1)
            assert shelf is not None and shelf.items == []
            assert statements.sql
            statements.sql.clear()
            # Pending changes: autoflush writes them before the query.
            session.add(Item(name="pending"))
            pending = await session.get(Item, 3)
            assert pending is not None and pending.name == "pending"
            assert any(s.startswith("INSERT") for s in statements.sql)
        finally:
            await session.rollback()
            await session.close()

    run(pg, scenario)


def test_load_listeners_still_run(pg: Target) -> None:
    loaded: list[Any] = []

    def on_load(target: Any, context: Any) -> None:
        loaded.append(target)

    event.listen(FastGetShelf, "load", on_load)
    try:

        async def scenario(database: Database, statements: Statements) -> None:
            session = database.new_session()
            try:
                shelf = await session.get(FastGetShelf, 1)
                assert loaded == [shelf]
            finally:
                await session.close()

        run(pg, scenario)
    finally:
        event.remove(FastGetShelf, "load", on_load)


def test_a_wrong_identifier_raises_sqlalchemys_error(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        session = database.new_session()
        try:
            with pytest.raises(sqlalchemy.exc.DBAPIError):
                await session.get(Item, "not a number")
        finally:
            await session.close()

    run(pg, scenario)


def test_without_defer_begin_get_is_sqlalchemys(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        session = database.new_session()
        try:
            assert (await session.get(Item, 1)) is not None
            assert statements.sql
        finally:
            await session.close()

    run(pg, scenario, defer_begin=False)


def test_get_sees_the_sessions_own_writes_across_commits_and_savepoints(pg: Target) -> None:
    async def scenario(database: Database, statements: Statements) -> None:
        session = database.new_session()
        try:
            first = await session.get(Item, 1)
            assert first is not None
            first.name = "committed"
            await session.commit()  # a new transaction (and connection) from here
            statements.sql.clear()
            second = await session.get(Item, 2)
            assert second is not None and statements.sql == []
            async with session.begin_nested():  # SAVEPOINT
                added = Item(name="uncommitted")
                session.add(added)
                await session.flush()
                added_id = added.id
                session.expunge(added)
                statements.sql.clear()
                # Loaded directly, on the connection holding the uncommitted row.
                again = await session.get(Item, added_id)
                assert statements.sql == []
                assert again is not None and again is not added and again.name == "uncommitted"
            await session.rollback()
            assert await session.get(Item, added_id) is None
        finally:
            await session.close()
        async with database.session() as check:
            assert await check.scalar(select(Item.name).where(Item.id == 1)) == "committed"

    run(pg, scenario)
