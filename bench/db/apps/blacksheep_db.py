"""The TechEmpower database tests on BlackSheep with raw asyncpg (as its TechEmpower entry does)."""

from __future__ import annotations

from operator import itemgetter

import asyncpg
import orjson
from blacksheep import Application, Content, Request, Response, text

from bench.db.apps.common import (
    ADDED_FORTUNE,
    DSN,
    POOL_SIZE,
    READ_FORTUNES,
    READ_WORLD,
    SERVER_SETTINGS,
    WRITE_WORLD,
    jinja_fortunes_template,
    query_count,
    random_id,
)

fortunes_template = jinja_fortunes_template()
app = Application()
state: dict[str, asyncpg.Pool] = {}


def json_response(data: object) -> Response:
    return Response(200, content=Content(b"application/json", orjson.dumps(data)))


def count_of(request: Request) -> int:
    values = request.query.get("queries")
    return query_count(values[0] if values else None)


async def plaintext() -> Response:
    return text("Hello, World!")


async def single() -> Response:
    async with state["pool"].acquire() as connection:
        row = await connection.fetchrow(READ_WORLD, random_id())
    return json_response({"id": row[0], "randomNumber": row[1]})


async def queries(request: Request) -> Response:
    ids = [random_id() for _ in range(count_of(request))]
    async with state["pool"].acquire() as connection:
        statement = await connection.prepare(READ_WORLD)
        rows = [await statement.fetchrow(world_id) for world_id in ids]
    return json_response([{"id": row[0], "randomNumber": row[1]} for row in rows])


async def updates(request: Request) -> Response:
    ids = [random_id() for _ in range(count_of(request))]
    async with state["pool"].acquire() as connection:
        statement = await connection.prepare(READ_WORLD)
        rows = [await statement.fetchrow(world_id) for world_id in ids]
        worlds = [{"id": row[0], "randomNumber": random_id()} for row in rows]
        pairs = sorted((w["id"], w["randomNumber"]) for w in worlds)
        await connection.executemany(WRITE_WORLD, pairs)
    return json_response(worlds)


async def fortunes() -> Response:
    async with state["pool"].acquire() as connection:
        rows = await connection.fetch(READ_FORTUNES)
    items = [(row[0], row[1]) for row in rows]
    items.append((0, ADDED_FORTUNE))
    items.sort(key=itemgetter(1))
    html = fortunes_template.render(fortunes=[{"id": i, "message": m} for i, m in items])
    return Response(200, content=Content(b"text/html; charset=utf-8", html.encode()))


async def start(application: Application) -> None:
    state["pool"] = await asyncpg.create_pool(
        DSN, min_size=POOL_SIZE, max_size=POOL_SIZE, server_settings=SERVER_SETTINGS
    )


async def stop(application: Application) -> None:
    await state["pool"].close()


app.on_start += start
app.on_stop += stop
app.router.add_get("/plaintext", plaintext)
app.router.add_get("/db", single)
app.router.add_get("/queries", queries)
app.router.add_get("/updates", updates)
app.router.add_get("/fortunes", fortunes)
