"""SQL injection attempts through query, path and JSON input stay data, on both paths."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import func, select, text

from fastcore import App, Request, abort
from fastcore.orm import Database
from fastcore.testing import TestClient
from tests.orm.orm_support import Item, Target

PAYLOADS = [
    "'",
    '"',
    "''",
    "'; DROP TABLE items; --",
    "' OR 1=1 --",
    "' OR '1'='1",
    '" OR ""="',
    "1; DELETE FROM items",
    "Robert'); DROP TABLE items;--",
    "x' UNION SELECT name, name FROM items --",
    "\\'; DROP TABLE items; --",
    ":name",
    "$1",
    "?",
    "%' OR name LIKE '%",
    "\u02bc OR 1=1 --",  # modifier letter apostrophe
    "\uff07 OR 1=1 --",  # fullwidth apostrophe
    "\u2019; DROP TABLE items; --",  # right single quotation mark
    "ǹame' OR 1=1 -- \u202e",  # combining characters and a bidi override
    "𝒶' OR 'a'='a",  # astral plane
]

SEED = ["alpha", "beta", "gamma"]


def build_app(target: Target) -> tuple[App, Database]:
    app, database = target.app(*({"name": name} for name in SEED))

    @app.get("/orm/search")
    async def orm_search(request: Request):
        query = select(Item.name).where(Item.name == request.query.get("q", ""))
        by_text = text("SELECT count(*) FROM items WHERE name = :q")
        return {
            "names": list(await request.db.scalars(query)),
            "count": await request.db.scalar(by_text, {"q": request.query.get("q", "")}),
        }

    @app.get("/orm/by-name/{name}")
    async def orm_by_name(request: Request, name: str):
        item = await request.db.scalar(select(Item).where(Item.name == name))
        return {"name": item.name} if item else abort(404)

    @app.post("/orm/items")
    async def orm_create(request: Request):
        item = Item(name=(await request.json())["name"])
        request.db.add(item)
        await request.db.flush()
        return {"id": item.id}

    @app.get("/fast/search")
    async def fast_search(request: Request):
        rows = await database.fetch_all(
            "SELECT name FROM items WHERE name = :q", {"q": request.query.get("q", "")}
        )
        return {"names": [row.name for row in rows]}

    @app.get("/fast/by-name/{name}")
    async def fast_by_name(name: str):
        row = await database.fetch_one(select(Item.name).where(Item.name == name))
        return {"name": row.name} if row else abort(404)

    @app.post("/fast/items")
    async def fast_create(request: Request):
        name = (await request.json())["name"]
        await database.execute(
            "INSERT INTO items (name, created_at, updated_at) "
            "VALUES (:name, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            {"name": name},
        )
        return {"ok": True}

    @app.get("/count")
    async def count(request: Request):
        return {"count": await request.db.scalar(select(func.count()).select_from(Item))}

    return app, database


@pytest.mark.parametrize("path", ["orm", "fast"])
def test_injection_attempts_stay_data(target: Target, path: str) -> None:
    app, _ = build_app(target)
    with TestClient(app) as client:
        for payload in PAYLOADS:
            found = client.get(f"/{path}/search", params={"q": payload}).json()
            assert found["names"] == [], payload
            assert found.get("count", 0) == 0, payload
            by_path = client.get(f"/{path}/by-name/{quote(payload, safe='')}")
            assert by_path.status_code == 404, payload
        assert client.get("/count").json() == {"count": len(SEED)}

        for payload in PAYLOADS:
            assert client.post(f"/{path}/items", json={"name": payload}).status_code == 200
        # Every payload was stored verbatim, once, and the table is intact.
        assert client.get("/count").json() == {"count": len(SEED) + len(PAYLOADS)}
        for payload in PAYLOADS:
            found = client.get(f"/{path}/search", params={"q": payload}).json()
            assert found["names"] == [payload], payload
            by_path = client.get(f"/{path}/by-name/{quote(payload, safe='')}")
            assert by_path.json() == {"name": payload}, payload
        for name in SEED:
            assert client.get(f"/{path}/search", params={"q": name}).json()["names"] == [name]
