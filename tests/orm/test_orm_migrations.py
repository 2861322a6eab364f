"""Alembic driven from code: init, autogenerate, upgrade, downgrade, current, history."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect

from fastcore.exceptions import ImproperlyConfigured
from fastcore.orm import Database, migrations
from tests.orm.orm_support import Target


def table_names(database: Database) -> set[str]:
    async def read() -> set[str]:
        async with database:
            async with database.engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))

    return asyncio.run(read())


def test_migrations_up_and_down(target: Target, tmp_path: Path) -> None:
    database = target.database()
    directory = tmp_path / "migrations"
    migrations.init(directory)
    assert (directory / "env.py").read_text().count("run_environment()") == 1
    with pytest.raises(ImproperlyConfigured, match="not empty"):
        migrations.init(directory)

    script = migrations.revision(database, "create items", directory=directory)
    source = script.read_text()
    assert "create_table('items'" in source or 'create_table("items"' in source
    assert migrations.current(database) == []

    migrations.upgrade(database, directory=directory)
    assert {"items", "alembic_version"} <= table_names(database)
    [info] = migrations.history(directory)
    assert info.message == "create items" and info.is_head
    assert migrations.current(database) == [info.revision]

    # Nothing changed in the models: a second autogenerate has no operations.
    empty = migrations.revision(database, "nothing", directory=directory)
    assert "create_table" not in empty.read_text()
    migrations.upgrade(database, directory=directory)
    assert len(migrations.history(directory)) == 2

    migrations.downgrade(database, "base", directory=directory)
    assert "items" not in table_names(database)
    assert migrations.current(database) == []


def test_create_all_and_missing_folder(target: Target, tmp_path: Path) -> None:
    database = target.database()
    migrations.create_all(database)
    assert "items" in table_names(database)
    with pytest.raises(ImproperlyConfigured, match="fastcore db init"):
        migrations.upgrade(database, directory=tmp_path / "nowhere")
