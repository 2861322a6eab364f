"""The request's session as a handler parameter: an ``AsyncSession`` hint, or ``Depends``."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fastcore import Depends, Request, abort
from fastcore.orm import SyncSession, get_db, sync_session
from fastcore.testing import TestClient
from tests.orm.orm_support import Item, Target

# Module level: handler hints are resolved in the module's namespace.
DB = Annotated[AsyncSession, Depends(get_db)]
Sync = Annotated[SyncSession, Depends(sync_session)]


def test_get_db_and_sync_session_as_dependencies(target: Target) -> None:
    app, _ = target.app()

    @app.post("/items/{name}")
    async def create(name: str, db: DB, request: Request):
        assert db is request.db  # the request's own session: commits with it
        db.add(Item(name=name))
        await db.flush()
        if name == "fail":
            abort(400, "rolled back with the request")
        return {"ok": True}

    @app.post("/sync/items/{name}")
    def create_sync(name: str, db: Sync):
        db.add(Item(name=name))
        return {"count": db.scalar(select(func.count()).select_from(Item))}

    @app.get("/names")
    async def names(db: AsyncSession):  # the hint alone injects request.db
        return {"names": list(await db.scalars(select(Item.name).order_by(Item.id)))}

    with TestClient(app) as client:
        assert client.post("/items/kept").json() == {"ok": True}
        assert client.post("/items/fail").status_code == 400
        assert client.post("/sync/items/synced").json() == {"count": 2}
        assert client.get("/names").json() == {"names": ["kept", "synced"]}
