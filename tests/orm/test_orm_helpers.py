"""Everyday helpers, pagination, models and Database configuration."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from fastcore import Request
from fastcore.exceptions import ImproperlyConfigured, NotFound
from fastcore.orm import (
    DEFAULT_URL,
    Database,
    UUIDMixin,
    bulk_insert,
    exists,
    first_or_404,
    paginate,
)
from fastcore.testing import TestClient
from tests.orm.orm_support import Base, Item, Target


class Token(UUIDMixin, Base):
    __tablename__ = "tokens"

    label: Mapped[str] = mapped_column(String(50))


def test_helpers(target: Target) -> None:
    async def scenario() -> None:
        async with target.database() as database:
            await database.create_all()
            async with database.session() as session:
                assert await bulk_insert(session, Item, [{"name": f"i{n}"} for n in range(5)]) == 5
                assert await bulk_insert(session, Item, []) == 0
            async with database.session() as session:
                assert await exists(session, Item, name="i3")
                assert not await exists(session, Item, name="nope")
                assert await exists(session, select(Item).where(Item.name.like("i%")))
                first = await first_or_404(session, select(Item).order_by(Item.id.desc()))
                assert first.name == "i4"
                assert first.created_at.utcoffset() == datetime.timedelta(0)
                with pytest.raises(NotFound):
                    await first_or_404(session, select(Item).where(Item.name == "nope"))
                token = Token(label="t")
                session.add(token)
                await session.flush()
                assert isinstance(token.id, uuid.UUID)
                assert repr(token) == f"<Token id={token.id!r}>"
                before = first.updated_at
                first.name = "renamed"
                await session.flush()
                assert first.updated_at >= before

    asyncio.run(scenario())


def test_pagination_in_json_with_links(target: Target) -> None:
    app, _ = target.app(*({"name": f"n{n:02}"} for n in range(25)))

    @app.get("/items")
    async def items(request: Request):
        page = await paginate(
            request.db, select(Item).order_by(Item.id), request=request, max_size=10
        )
        return page.to_dict(lambda item: item.name)

    with TestClient(app) as client:
        first = client.get("/items", params={"size": 10, "tag": "x"}).json()
        assert first["items"] == [f"n{n:02}" for n in range(10)]
        assert (first["total"], first["pages"], first["has_next"]) == (25, 3, True)
        assert first["links"]["previous"] is None
        assert first["links"]["next"] == "/items?tag=x&page=2&size=10"
        last = client.get(first["links"]["last"]).json()
        assert last["items"] == [f"n{n:02}" for n in range(20, 25)]
        assert last["has_next"] is False and last["links"]["next"] is None
        assert client.get("/items", params={"size": 500}).json()["size"] == 10
        assert client.get("/items", params={"page": "0"}).status_code == 400
        assert client.get("/items", params={"page": "x"}).status_code == 400
        assert client.get("/items", params={"page": 9}).json()["items"] == []


def test_database_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Database().url.render_as_string() == DEFAULT_URL
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:secret@db.example/app")
    database = Database()
    assert database.url.drivername == "postgresql+asyncpg"
    assert database.backend == "postgresql"
    assert "secret" not in repr(database)
    assert Database("sqlite:///x.db").url.drivername == "sqlite+aiosqlite"
    with pytest.raises(ImproperlyConfigured, match="unsupported database driver"):
        Database("mysql://localhost/app")
    with pytest.raises(ImproperlyConfigured, match="invalid database URL"):
        Database("not a url")
    with pytest.raises(ImproperlyConfigured, match="pool_size"):
        Database("sqlite:///x.db", pool_size=0)
    with pytest.raises(ImproperlyConfigured, match="not connected"):
        _ = Database("sqlite:///x.db").engine


def test_memory_sqlite_shares_one_connection_and_refuses_the_fast_path() -> None:
    async def scenario() -> Any:
        async with Database("sqlite+aiosqlite://", metadata=Base.metadata) as database:
            await database.create_all()
            async with database.session() as session:
                session.add(Item(name="m", created_at=datetime.datetime.now(datetime.UTC)))
            async with database.session() as session:
                names = list(await session.scalars(select(Item.name)))
            with pytest.raises(ImproperlyConfigured, match="in-memory"):
                _ = database.fast
            return names

    assert asyncio.run(scenario()) == ["m"]
