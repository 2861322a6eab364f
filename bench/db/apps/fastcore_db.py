"""The TechEmpower database tests on fastcore: the fast path under /fast, the ORM under /orm.

One app serves both, as a real app would mix them; the session middleware is
installed (``Database.init_app``), so the fast-path figures include its cost
for requests that never touch ``request.db``.
"""

from __future__ import annotations

import os
from operator import attrgetter, itemgetter

from sqlalchemy import select

from bench.db.apps.common import (
    ADDED_FORTUNE,
    DSN,
    POOL_SIZE,
    SERVER_SETTINGS,
    TEMPLATES,
    query_count,
    random_id,
)
from bench.db.apps.models import Base, Fortune, World
from fastcore import App, PlainTextResponse, Request, Settings
from fastcore.orm import Database
from fastcore.orm.fastpath import row_class

# security=False: the peers run no security middleware either (a like-for-like benchmark).
app = App(settings=Settings(template_folders=[TEMPLATES]), security=False)
database = Database(
    DSN.replace("postgresql://", "postgresql+asyncpg://", 1),
    pool_size=POOL_SIZE,
    max_overflow=0,
    metadata=Base.metadata,
    engine_options={"connect_args": {"server_settings": SERVER_SETTINGS}},
    # bench/db/run.py's "fastcore-orm-begin-first" contender: SQLAlchemy's BEGIN per request.
    defer_begin=os.environ.get("FASTCORE_BENCH_DEFER_BEGIN", "1") != "0",
)
database.init_app(app)

READ_WORLD = "SELECT id, randomnumber FROM world WHERE id = :id"
WRITE_WORLD = "UPDATE world SET randomnumber = :randomnumber WHERE id = :id"
READ_FORTUNES = "SELECT id, message FROM fortune"
FortuneRow = row_class(["id", "message"])
by_message = itemgetter(1)


@app.get("/plaintext")
async def plaintext():
    return PlainTextResponse("Hello, World!")


# -- the fast path ------------------------------------------------------------


@app.get("/fast/db")
async def fast_single():
    row = await database.fetch_one(READ_WORLD, {"id": random_id()})
    return {"id": row[0], "randomNumber": row[1]}


@app.get("/fast/queries")
async def fast_queries(request: Request):
    params = [{"id": random_id()} for _ in range(query_count(request.query.get("queries")))]
    # One query per id, pipelined in one round trip (every id exists: one row each).
    rows = await database.fetch_many(READ_WORLD, params)
    return [{"id": row[0], "randomNumber": row[1]} for row in rows]


@app.get("/fast/updates")
async def fast_updates(request: Request):
    params = [{"id": random_id()} for _ in range(query_count(request.query.get("queries")))]
    async with database.connection() as connection:
        rows = await connection.fetch_many(READ_WORLD, params)
        worlds = [{"id": row[0], "randomNumber": random_id()} for row in rows]
        # Sorted ids: concurrent batches lock rows in one order (no deadlocks).
        updates = sorted(
            ({"id": w["id"], "randomnumber": w["randomNumber"]} for w in worlds),
            key=itemgetter("id"),
        )
        await connection.execute_many(WRITE_WORLD, updates)
    return worlds


@app.get("/fast/fortunes")
async def fast_fortunes():
    fortunes = await database.fetch_all(READ_FORTUNES)
    fortunes.append(FortuneRow((0, ADDED_FORTUNE)))
    fortunes.sort(key=by_message)
    return app.render("fortunes.html", fortunes=fortunes)


# -- the ORM ------------------------------------------------------------------


@app.get("/orm/db")
async def orm_single(request: Request):
    world = await request.db.get(World, random_id())
    return {"id": world.id, "randomNumber": world.randomnumber}


@app.get("/orm/queries")
async def orm_queries(request: Request):
    db = request.db
    worlds = [
        await db.get(World, random_id()) for _ in range(query_count(request.query.get("queries")))
    ]
    return [{"id": world.id, "randomNumber": world.randomnumber} for world in worlds]


@app.get("/orm/updates")
async def orm_updates(request: Request):
    db = request.db
    ids = sorted(random_id() for _ in range(query_count(request.query.get("queries"))))
    worlds = [await db.get(World, world_id) for world_id in ids]
    for world in worlds:
        world.randomnumber = random_id()
    # The request's commit (session middleware) flushes the changes as one batch.
    return [{"id": world.id, "randomNumber": world.randomnumber} for world in worlds]


@app.get("/orm/fortunes")
async def orm_fortunes(request: Request):
    fortunes = list(await request.db.scalars(select(Fortune)))
    fortunes.append(Fortune(id=0, message=ADDED_FORTUNE))
    fortunes.sort(key=attrgetter("message"))
    return app.render("fortunes.html", fortunes=fortunes)
