"""The TechEmpower database tests on Starlette with raw asyncpg (as its TechEmpower entry does)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from operator import itemgetter

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

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
pool: asyncpg.Pool | None = None


def json_response(data: object) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


async def plaintext(request: Request) -> Response:
    return PlainTextResponse("Hello, World!")


async def single(request: Request) -> Response:
    async with pool.acquire() as connection:
        row = await connection.fetchrow(READ_WORLD, random_id())
    return json_response({"id": row[0], "randomNumber": row[1]})


async def queries(request: Request) -> Response:
    ids = [random_id() for _ in range(query_count(request.query_params.get("queries")))]
    async with pool.acquire() as connection:
        statement = await connection.prepare(READ_WORLD)
        rows = [await statement.fetchrow(world_id) for world_id in ids]
    return json_response([{"id": row[0], "randomNumber": row[1]} for row in rows])


async def updates(request: Request) -> Response:
    ids = [random_id() for _ in range(query_count(request.query_params.get("queries")))]
    async with pool.acquire() as connection:
        statement = await connection.prepare(READ_WORLD)
        rows = [await statement.fetchrow(world_id) for world_id in ids]
        worlds = [{"id": row[0], "randomNumber": random_id()} for row in rows]
        pairs = sorted((w["id"], w["randomNumber"]) for w in worlds)
        await connection.executemany(WRITE_WORLD, pairs)
    return json_response(worlds)


async def fortunes(request: Request) -> Response:
    async with pool.acquire() as connection:
        rows = await connection.fetch(READ_FORTUNES)
    items = [(row[0], row[1]) for row in rows]
    items.append((0, ADDED_FORTUNE))
    items.sort(key=itemgetter(1))
    html = fortunes_template.render(fortunes=[{"id": i, "message": m} for i, m in items])
    return HTMLResponse(html)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(
        DSN, min_size=POOL_SIZE, max_size=POOL_SIZE, server_settings=SERVER_SETTINGS
    )
    yield
    await pool.close()


app = Starlette(
    routes=[
        Route("/plaintext", plaintext),
        Route("/db", single),
        Route("/queries", queries),
        Route("/updates", updates),
        Route("/fortunes", fortunes),
    ],
    lifespan=lifespan,
)
