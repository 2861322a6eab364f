"""The TechEmpower database tests on Starlette with the SQLAlchemy async ORM (the ORM's peer).

A session per request, as FastAPI/Starlette apps using SQLAlchemy write it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from operator import attrgetter

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from bench.db.apps.common import (
    ADDED_FORTUNE,
    jinja_fortunes_template,
    query_count,
    random_id,
)
from bench.db.apps.models import Fortune, World, peer_sessions

fortunes_template = jinja_fortunes_template()
state: dict[str, async_sessionmaker] = {}


def json_response(data: object) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


async def plaintext(request: Request) -> Response:
    return PlainTextResponse("Hello, World!")


async def single(request: Request) -> Response:
    async with state["sessions"]() as session:
        world = await session.get(World, random_id())
    return json_response({"id": world.id, "randomNumber": world.randomnumber})


async def queries(request: Request) -> Response:
    count = query_count(request.query_params.get("queries"))
    async with state["sessions"]() as session:
        worlds = [await session.get(World, random_id()) for _ in range(count)]
    return json_response([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


async def updates(request: Request) -> Response:
    ids = sorted(random_id() for _ in range(query_count(request.query_params.get("queries"))))
    async with state["sessions"]() as session, session.begin():
        worlds = [await session.get(World, world_id) for world_id in ids]
        for world in worlds:
            world.randomnumber = random_id()
    return json_response([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


async def fortunes(request: Request) -> Response:
    async with state["sessions"]() as session:
        items = list(await session.scalars(select(Fortune)))
    items.append(Fortune(id=0, message=ADDED_FORTUNE))
    items.sort(key=attrgetter("message"))
    return HTMLResponse(fortunes_template.render(fortunes=items))


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    engine, state["sessions"] = peer_sessions()
    yield
    await engine.dispose()


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
