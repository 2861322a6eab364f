"""The TechEmpower database tests on FastAPI with the SQLAlchemy async ORM (the ORM's peer).

The session comes from a ``Depends`` generator, as FastAPI's SQL tutorial
writes it; handlers are ``async def`` and responses go through orjson.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from operator import attrgetter
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse, ORJSONResponse, PlainTextResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.db.apps.common import (
    ADDED_FORTUNE,
    jinja_fortunes_template,
    query_count,
    random_id,
)
from bench.db.apps.models import Fortune, World, peer_sessions

fortunes_template = jinja_fortunes_template()
state: dict[str, async_sessionmaker[AsyncSession]] = {}


async def get_session() -> AsyncIterator[AsyncSession]:
    async with state["sessions"]() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine, state["sessions"] = peer_sessions()
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/plaintext")
async def plaintext() -> PlainTextResponse:
    return PlainTextResponse("Hello, World!")


@app.get("/db")
async def single(session: Session) -> ORJSONResponse:
    world = await session.get(World, random_id())
    return ORJSONResponse({"id": world.id, "randomNumber": world.randomnumber})


@app.get("/queries")
async def queries(session: Session, queries: str | None = None) -> ORJSONResponse:
    worlds = [await session.get(World, random_id()) for _ in range(query_count(queries))]
    return ORJSONResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


@app.get("/updates")
async def updates(session: Session, queries: str | None = None) -> ORJSONResponse:
    ids = sorted(random_id() for _ in range(query_count(queries)))
    async with session.begin():
        worlds = [await session.get(World, world_id) for world_id in ids]
        for world in worlds:
            world.randomnumber = random_id()
    return ORJSONResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds])


@app.get("/fortunes")
async def fortunes(session: Session) -> HTMLResponse:
    items = list(await session.scalars(select(Fortune)))
    items.append(Fortune(id=0, message=ADDED_FORTUNE))
    items.sort(key=attrgetter("message"))
    return HTMLResponse(fortunes_template.render(fortunes=items))
