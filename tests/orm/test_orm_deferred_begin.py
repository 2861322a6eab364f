"""PostgreSQL: a request that only reads sends no BEGIN/COMMIT; writes keep their transaction.

The statements each connection sends are seen through asyncpg's query logger
(simple-protocol statements: BEGIN, COMMIT, ROLLBACK, SAVEPOINT ...).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select, text

from fastcore import Request
from fastcore.orm import Database
from fastcore.orm.deferred_begin import is_plain_read
from fastcore.testing import AsyncTestClient, TestClient
from tests.orm.orm_support import Item, Target


@pytest.fixture
def pg(target: Target) -> Iterator[Target]:
    if target.backend != "postgresql":
        pytest.skip("BEGIN is deferred on PostgreSQL only (SQLite's driver already defers it)")
    yield target


class StatementLog:
    """Every simple-protocol statement the database's connections send."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def connect_args(self, target: Target) -> dict[str, Any]:
        import asyncpg  # type: ignore[import-untyped]

        async def connect(*args: Any, **kwargs: Any) -> Any:
            connection = await asyncpg.connect(*args, **kwargs)
            connection.add_query_logger(lambda record: self.statements.append(record.query))
            return connection

        return {**target.connect_args, "async_creator_fn": connect}

    def transaction_statements(self) -> list[str]:
        words = ("BEGIN", "COMMIT", "ROLLBACK")
        return [
            s.strip().rstrip(";").upper()
            for s in self.statements
            if s.lstrip().upper().startswith(words)
        ]

    def begins(self) -> int:
        """How many transactions were opened."""
        return sum(s.startswith("BEGIN") for s in self.transaction_statements())


def logged_app(target: Target, log: StatementLog, **options: Any) -> tuple[Any, Database]:
    app, database = target.app({"name": "first"}, {"name": "second"}, **options)
    database.engine_options["connect_args"] = log.connect_args(target)

    @app.get("/read")
    async def read(request: Request):
        names = list(await request.db.scalars(select(Item.name).order_by(Item.id)))
        return {"names": names}

    @app.post("/write")
    async def write(request: Request):
        request.db.add(Item(name="written"))
        await request.db.flush()
        # Inside the transaction from here: the request sees its own row.
        count = len(list(await request.db.scalars(select(Item.name))))
        return {"count": count}

    @app.post("/write-then-fail")
    async def write_then_fail(request: Request):
        request.db.add(Item(name="undone"))
        await request.db.flush()
        return {"failed": True}, 500

    @app.get("/locked")
    async def locked(request: Request):
        row = (
            await request.db.execute(select(Item.name).where(Item.id == 1).with_for_update())
        ).one()
        return {"name": row.name}

    return app, database


async def settle() -> None:
    # asyncpg runs query loggers from call_soon callbacks.
    for _ in range(3):
        await asyncio.sleep(0)


def test_a_read_only_request_sends_no_begin_or_commit(pg: Target) -> None:
    log = StatementLog()
    app, _ = logged_app(pg, log)

    async def scenario() -> None:
        async with AsyncTestClient(app) as client:
            assert (await client.get("/read")).json() == {"names": ["first", "second"]}  # warm up
            await settle()
            log.statements.clear()
            for _ in range(3):
                assert (await client.get("/read")).json() == {"names": ["first", "second"]}
            await settle()
            assert log.transaction_statements() == []

    asyncio.run(scenario())


def test_without_defer_begin_every_request_pays_begin_and_commit(pg: Target) -> None:
    log = StatementLog()
    app, _ = logged_app(pg, log, defer_begin=False)

    async def scenario() -> None:
        async with AsyncTestClient(app) as client:
            await client.get("/read")
            await settle()
            log.statements.clear()
            await client.get("/read")
            await client.get("/read")
            await settle()
            # The first request's COMMIT may be logged late; BEGIN comes per request.
            assert log.begins() == 2

    asyncio.run(scenario())


def test_writes_begin_a_transaction_commit_and_roll_back_with_the_request(pg: Target) -> None:
    log = StatementLog()
    app, _ = logged_app(pg, log)
    with TestClient(app) as client:
        client.get("/read")
        log.statements.clear()
        assert client.post("/write").json() == {"count": 3}
        assert log.begins() == 1
        assert client.post("/write-then-fail").status_code == 500
        assert client.get("/read").json() == {"names": ["first", "second", "written"]}


def test_select_for_update_runs_inside_the_transaction(pg: Target) -> None:
    log = StatementLog()
    app, _ = logged_app(pg, log)
    with TestClient(app) as client:
        client.get("/read")
        log.statements.clear()
        assert client.get("/locked").json() == {"name": "first"}
        assert log.begins() == 1


def test_a_stricter_isolation_level_keeps_begin_before_every_statement(pg: Target) -> None:
    log = StatementLog()
    app, database = logged_app(pg, log)
    database.engine_options["isolation_level"] = "REPEATABLE READ"

    @app.get("/snapshot")
    async def snapshot(request: Request):
        # Two reads, one snapshot: both run in the same REPEATABLE READ transaction.
        first = await request.db.scalar(text("SELECT txid_current_if_assigned() IS NULL"))
        again = await request.db.scalar(text("SELECT pg_current_snapshot()::text"))
        same = await request.db.scalar(text("SELECT pg_current_snapshot()::text"))
        return {"first": first, "same_snapshot": again == same}

    with TestClient(app) as client:
        client.get("/read")
        log.statements.clear()
        assert client.get("/snapshot").json() == {"first": True, "same_snapshot": True}
        assert log.begins() == 1  # BEGIN ISOLATION LEVEL REPEATABLE READ, before the first read


def test_mixed_concurrent_requests_never_see_uncommitted_rows(pg: Target) -> None:
    app, _ = pg.app()

    @app.post("/mixed/{number:int}")
    async def mixed(request: Request, number: int):
        db = request.db
        tagged = select(Item.name).where(Item.tag == "mixed")
        before = list(await db.scalars(tagged))  # a read outside any transaction
        if number % 3 == 0:
            return {"before": before, "after": before}  # a read-only request
        db.add(Item(name=f"mixed-{number}", tag="mixed"))
        await db.flush()
        await asyncio.sleep(0.005)  # others run while this row is uncommitted
        after = list(await db.scalars(tagged))
        return {"before": before, "after": after}, (500 if number % 2 else 200)

    async def scenario() -> list[Any]:
        async with AsyncTestClient(app) as client:
            return await asyncio.wait_for(
                asyncio.gather(*(client.post(f"/mixed/{n}") for n in range(100))), 60
            )

    responses = asyncio.run(scenario())
    failed = {f"mixed-{n}" for n in range(100) if n % 3 and n % 2}
    for number, response in enumerate(responses):
        body = response.json()
        seen = set(body["before"]) | set(body["after"])
        assert not (seen - {f"mixed-{number}"}) & failed
        if number % 3:
            assert response.status_code == (500 if number % 2 else 200)
            assert f"mixed-{number}" in body["after"]  # its own row, inside its transaction
            assert f"mixed-{number}" not in body["before"]


@pytest.mark.parametrize(
    ("statement", "plain"),
    [
        ("SELECT items.name FROM items WHERE items.id = $1::INTEGER", True),
        ("  select 1", True),
        ("(SELECT 1) UNION (SELECT 2)", True),
        ("SELECT name FROM items FOR UPDATE", False),
        ("SELECT name FROM items FOR NO KEY UPDATE SKIP LOCKED", False),
        ("SELECT name FROM items FOR SHARE", False),
        ("select * from items for key share", False),
        ("SELECT * INTO copy FROM items", False),
        ("SELECT nextval('items_id_seq')", False),
        ("SELECT pg_advisory_xact_lock(1)", False),
        ("WITH gone AS (DELETE FROM items RETURNING id) SELECT count(*) FROM gone", False),
        ("INSERT INTO items (name) VALUES ($1)", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("UPDATE items SET name = 'x'", False),
    ],
)
def test_which_statements_may_run_outside_the_transaction(statement: str, plain: bool) -> None:
    assert is_plain_read(statement) is plain


def test_a_read_only_request_ends_as_a_commit_would(pg: Target) -> None:
    app, database = pg.app({"name": "first"})
    commits: list[Any] = []

    @app.get("/get")
    async def get(request: Request):
        item = await request.db.get(Item, 1)
        return {"name": item.name}

    @app.get("/hooked")
    async def hooked(request: Request):
        event.listen(request.db.sync_session, "after_commit", commits.append)
        item = await request.db.get(Item, 1)
        return {"name": item.name}

    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/get").json() == {"name": "first"}
            assert database.engine.pool.checkedout() == 0  # the connection went back
        assert client.get("/hooked").json() == {"name": "first"}
        assert len(commits) == 1  # a commit hook still sees its commit
        assert database.engine.pool.checkedout() == 0
