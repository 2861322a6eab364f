"""Shared test models and the per-backend database targets for tests/orm."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import MetaData, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from fastcore import App
from fastcore.orm import Database, IdMixin, Model, TimestampMixin, bulk_insert
from fastcore.orm.models import NAMING_CONVENTION

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class Base(Model):
    """fastcore's Model with its own metadata, so tests never touch the app's tables."""

    __abstract__ = True
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Item(IdMixin, TimestampMixin, Base):
    __tablename__ = "items"

    name: Mapped[str] = mapped_column(String(200))
    tag: Mapped[str | None] = mapped_column(String(200), default=None)


@dataclasses.dataclass
class Target:
    """Where a test's database lives: a URL and the connect_args that isolate it."""

    backend: str
    url: str
    connect_args: dict[str, Any]

    def database(self, **options: Any) -> Database:
        """A Database on this target for the test models."""
        options.setdefault("metadata", Base.metadata)
        return Database(self.url, engine_options={"connect_args": self.connect_args}, **options)

    def app(self, *rows: Mapping[str, Any], **options: Any) -> tuple[App, Database]:
        """An App with a Database on this target whose startup creates the tables
        and inserts ``rows`` into ``items``."""
        app = App()
        database = self.database(**options)
        database.init_app(app)

        @app.on_startup
        async def create_tables() -> None:
            await database.create_all()
            if rows:
                async with database.session() as session:
                    await bulk_insert(session, Item, rows)

        return app, database


@functools.cache
def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        import asyncpg
    except ImportError:
        return "asyncpg is not installed (pip install 'fastcore-web[postgres]')"

    async def probe() -> None:
        connection = await asyncpg.connect(PG_URL.replace("+asyncpg", ""), timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception as exc:  # any failure: refused, auth, missing database
        return f"PostgreSQL unreachable at 127.0.0.1:5432/test ({type(exc).__name__}: {exc})"
    return None


async def _pg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_URL.replace("+asyncpg", ""), timeout=3)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_schema() -> str:
    """A fresh, uniquely named schema (tests of parallel runs never collide)."""
    schema = f"fastcore_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE SCHEMA "{schema}"'))
    return schema


def drop_schema(schema: str) -> None:
    """Drop a test schema and everything in it."""
    asyncio.run(_pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def table_names(database: Database) -> set[str]:
    """The tables that exist in ``database`` now (connects and disconnects)."""

    async def read() -> set[str]:
        async with database:
            async with database.engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))

    return asyncio.run(read())


class Statements:
    """SQL statements SQLAlchemy itself executed (its public ``before_cursor_execute`` event)."""

    def __init__(self, database: Database) -> None:
        self.sql: list[str] = []
        event.listen(database.engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.sql.append(statement)
