"""The tutorial's migrations (examples/tutorial/migrations) build exactly what its models say."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import examples.tutorial.app  # noqa: F401 - maps the models the app uses
from fastcore.orm import Database, Model, migrations

MIGRATIONS = Path(__file__).parents[2] / "examples" / "tutorial" / "migrations"

#: The tables of the finished app: its bookmarks, the accounts and the admin's log.
TABLES = {
    "bookmarks",
    "auth_users",
    "auth_groups",
    "auth_permissions",
    "auth_api_tokens",
    "auth_group_permissions",
    "auth_user_groups",
    "auth_user_permissions",
    "admin_log",
}


def tables_and_differences(path: Path) -> tuple[set[str], list[object]]:
    """The tables of the SQLite file, and what autogenerate would still change."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            names = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}

            # Other tests map models of their own on the same metadata: compare ours only.
            def ours(obj: object, name: str | None, type_: str, *_: object) -> bool:
                return type_ != "table" or name in TABLES

            context = MigrationContext.configure(
                connection, opts={"include_object": ours, "compare_type": True}
            )
            return names, list(compare_metadata(context, Model.metadata))
    finally:
        engine.dispose()


def test_migrations_build_the_models_tables_and_come_back_down(tmp_path: Path) -> None:
    path = tmp_path / "tutorial.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    migrations.upgrade(database, directory=MIGRATIONS)
    names, differences = tables_and_differences(path)
    assert names == TABLES
    assert differences == []  # no change to the models is missing a migration
    assert [info.message for info in migrations.history(MIGRATIONS)] == [
        "admin log",
        "accounts",
        "bookmarks",
    ]
    migrations.downgrade(database, "base", directory=MIGRATIONS)
    assert tables_and_differences(path)[0] == set()
