"""One session per request: commit, rollback, savepoints, sync handlers, isolation, pool limits."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fastcore import App, Request, abort
from fastcore.orm import Database, get_or_404, sync_session
from fastcore.testing import AsyncTestClient, TestClient
from tests.orm.orm_support import Item, Target


def build_app(target: Target, **options: Any) -> tuple[App, Database]:
    app, database = target.app(**options)

    @app.post("/items")
    async def create(request: Request):
        item = Item(name=(await request.json())["name"])
        request.db.add(item)
        await request.db.flush()
        return {"id": item.id}, 201

    @app.post("/items/raises")
    async def create_then_raise(request: Request):
        request.db.add(Item(name="from-exception"))
        await request.db.flush()
        raise RuntimeError("the handler failed after writing")

    @app.post("/items/aborts")
    async def create_then_abort(request: Request):
        request.db.add(Item(name="from-abort"))
        await request.db.flush()
        abort(409, "conflict after writing")

    @app.post("/items/error-status")
    async def create_then_500(request: Request):
        request.db.add(Item(name="from-500"))
        await request.db.flush()
        return {"error": "returned, not raised"}, 503

    @app.post("/items/savepoint")
    async def savepoint(request: Request):
        request.db.add(Item(name="outer"))
        try:
            async with request.db.begin_nested():
                request.db.add(Item(name="inner"))
                await request.db.flush()
                raise ValueError("undo the inner part only")
        except ValueError:
            pass
        return {"ok": True}

    @app.get("/items/names")
    async def names(request: Request):
        rows = await request.db.scalars(select(Item.name).order_by(Item.id))
        return {"names": list(rows)}

    @app.get("/items/{item_id:int}")
    async def show(request: Request, item_id: int):
        item = await get_or_404(request.db, Item, item_id)
        return {"id": item.id, "name": item.name}

    @app.post("/sync/items/{name}")
    def sync_create(request: Request, name: str):
        db = sync_session(request)
        item = Item(name=name)
        db.add(item)
        db.flush()
        return {"id": item.id, "count": db.scalar(select(func.count()).select_from(Item))}

    @app.post("/sync/items-fail/{name}")
    def sync_create_fail(request: Request, name: str):
        sync_session(request).add(Item(name=name))
        sync_session(request).flush()
        abort(400, "rolled back")

    return app, database


def names(client: TestClient) -> list[str]:
    response = client.get("/items/names")
    assert response.status_code == 200
    result: list[str] = response.json()["names"]
    return result


def test_commit_on_success_and_rollback_on_errors(target: Target) -> None:
    app, _ = build_app(target)
    with TestClient(app) as client:
        created = client.post("/items", json={"name": "kept"})
        assert created.status_code == 201
        assert client.get(f"/items/{created.json()['id']}").json()["name"] == "kept"
        assert client.post("/items/raises").status_code == 500
        assert client.post("/items/aborts").status_code == 409
        assert client.post("/items/error-status").status_code == 503
        assert names(client) == ["kept"]
        assert client.get("/items/999999").status_code == 404


def test_savepoint_rolls_back_only_the_nested_part(target: Target) -> None:
    app, _ = build_app(target)
    with TestClient(app) as client:
        assert client.post("/items/savepoint").json() == {"ok": True}
        assert names(client) == ["outer"]


def test_sync_handlers_get_a_blocking_session_that_commits_with_the_request(
    target: Target,
) -> None:
    app, _ = build_app(target)
    with TestClient(app) as client:
        first = client.post("/sync/items/one")
        assert first.status_code == 200
        assert first.json()["count"] == 1
        assert client.post("/sync/items-fail/two").status_code == 400
        assert names(client) == ["one"]


def test_sync_session_refuses_the_event_loop_thread(target: Target) -> None:
    app, _ = build_app(target)

    @app.get("/misuse")
    async def misuse(request: Request):
        try:
            sync_session(request).scalar(select(1))
        except RuntimeError as exc:
            return {"error": str(exc)}
        return {"error": None}

    with TestClient(app) as client:
        assert "use request.db" in client.get("/misuse").json()["error"]


def test_requests_without_database_use_take_no_connection(target: Target) -> None:
    app, database = build_app(target, pool_size=1, max_overflow=0, pool_timeout=0.5)

    sessions: list[Any] = []

    @app.get("/plain")
    async def plain(request: Request):
        sessions.append(request.db)
        return {"ok": isinstance(request.db, AsyncSession)}

    with TestClient(app) as client:
        assert client.get("/plain").json() == {"ok": True}
        assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert not sessions[0].was_used  # the ORM session was never even built
        assert client.get("/items/names").status_code == 200
        assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_100_concurrent_requests_never_see_uncommitted_rows(target: Target) -> None:
    app, database = build_app(target)

    @app.post("/race/{number:int}")
    async def race(request: Request, number: int):
        db = request.db
        db.add(Item(name=f"race-{number}", tag="race"))
        await db.flush()
        await asyncio.sleep(0.005)  # other requests run while this row is uncommitted
        visible = list(await db.scalars(select(Item.name).where(Item.tag == "race")))
        # Odd requests fail: their rows must never be seen by anyone else.
        return {"visible": visible}, (500 if number % 2 else 200)

    async def scenario() -> list[Any]:
        async with AsyncTestClient(app) as client:
            responses = await asyncio.wait_for(
                asyncio.gather(*(client.post(f"/race/{n}") for n in range(100))), 60
            )
            final = (await client.get("/items/names")).json()["names"]
        return [responses, final]

    responses, final = asyncio.run(scenario())
    never_committed = {f"race-{n}" for n in range(1, 100, 2)}
    for number, response in enumerate(responses):
        assert response.status_code == (500 if number % 2 else 200)
        visible = set(response.json()["visible"])
        assert f"race-{number}" in visible  # its own row, inside its own transaction
        assert not (visible - {f"race-{number}"}) & never_committed
    assert sorted(final) == sorted(f"race-{n}" for n in range(0, 100, 2))
    assert database._engine is None  # disposed at shutdown


def test_pool_exhaustion_answers_503_with_retry_after(target: Target) -> None:
    app, database = build_app(target, pool_size=1, max_overflow=0, pool_timeout=0.2)
    events: dict[str, asyncio.Event] = {}

    @app.get("/hold")
    async def hold(request: Request):
        await request.db.execute(select(1))  # takes the only connection
        events["holding"].set()
        await events["release"].wait()
        return {"held": True}

    @app.get("/fast/hold")
    async def fast_hold():
        async with database.connection() as connection:
            await connection.fetch_val("SELECT 1")
            events["holding"].set()
            await events["release"].wait()
        return {"held": True}

    @app.get("/fast/one")
    async def fast_one():
        return {"value": await database.fetch_val("SELECT 1")}

    async def exhaust(hold_path: str, probe_path: str) -> tuple[Any, Any]:
        events.update(holding=asyncio.Event(), release=asyncio.Event())
        async with AsyncTestClient(app) as client:
            held = asyncio.ensure_future(client.get(hold_path))
            await asyncio.wait_for(events["holding"].wait(), 5)
            probe = await asyncio.wait_for(client.get(probe_path), 5)  # not a hang
            events["release"].set()
            return probe, await asyncio.wait_for(held, 5)

    for hold_path, probe_path in (("/hold", "/items/names"), ("/fast/hold", "/fast/one")):
        probe, held = asyncio.run(exhaust(hold_path, probe_path))
        assert probe.status_code == 503
        assert probe.headers["retry-after"] == "1"
        assert "busy" in probe.json()["detail"]
        assert held.json() == {"held": True}


def test_real_server_opens_connections_inside_eagerly_run_handlers(target: Target) -> None:
    # The server runs a handler outside any Task until its first suspension;
    # opening a driver connection there must still work (asyncio.timeout).
    import urllib.request

    from fastcore.testing import LiveServer

    app, database = build_app(target)

    @app.get("/fast/count")
    async def fast_count():
        return {"count": await database.fetch_val("SELECT count(*) FROM items")}

    with LiveServer(app) as server:
        for path in ("/items/names", "/fast/count", "/items/names", "/fast/count"):
            with urllib.request.urlopen(server.url + path, timeout=10) as response:
                assert response.status == 200, path


def test_real_server_requests_queue_for_a_busy_pool(target: Target) -> None:
    # Under eager dispatch a request that waits for a pooled connection is not
    # yet in a Task; the wait (asyncio.timeout inside) must still work.
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from fastcore.testing import LiveServer

    app, database = build_app(target, pool_size=1, max_overflow=0, pool_timeout=10)

    @app.get("/slow/orm")
    async def slow_orm(request: Request):
        await request.db.execute(select(1))
        await asyncio.sleep(0.05)
        return {"ok": True}

    @app.get("/slow/fast")
    async def slow_fast():
        async with database.connection() as connection:
            await connection.fetch_val("SELECT 1")
            await asyncio.sleep(0.05)
        return {"ok": True}

    def get(url: str) -> int:
        with urllib.request.urlopen(url, timeout=20) as response:
            status: int = response.status
            return status

    with LiveServer(app) as server, ThreadPoolExecutor(6) as pool:
        for path in ("/slow/orm", "/slow/fast"):
            statuses = list(pool.map(get, [server.url + path] * 6))
            assert statuses == [200] * 6, path


def test_real_server_answers_503_when_the_pool_stays_busy(target: Target) -> None:
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from fastcore.testing import LiveServer

    app, _ = build_app(target, pool_size=1, max_overflow=0, pool_timeout=0.2)
    holding = threading.Event()  # set on the server's loop thread, read here

    @app.get("/hold")
    async def hold(request: Request):
        await request.db.execute(select(1))
        holding.set()
        await asyncio.sleep(1.5)
        return {"held": True}

    def get(url: str) -> tuple[int, str | None]:
        try:
            with urllib.request.urlopen(url, timeout=20) as response:
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers["retry-after"]

    with LiveServer(app) as server, ThreadPoolExecutor(1) as pool:
        held = pool.submit(get, server.url + "/hold")
        assert holding.wait(10)
        assert get(server.url + "/items/names") == (503, "1")
        assert held.result(timeout=20) == (200, None)
