"""Return values: response models, status codes, headers, background tasks and the DB session."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

import pytest
import sqlalchemy
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from fastcore import App, BackgroundTasks, ImproperlyConfigured, PlainTextResponse
from fastcore.testing import AsyncTestClient, TestClient


class PublicUser(BaseModel):
    id: int
    name: str


class StoredUser(PublicUser):
    password_hash: str


@dataclasses.dataclass
class Pair:
    left: int
    right: int


def test_response_model_filters_fields_of_dicts_objects_and_subclasses() -> None:
    app = App()

    @app.get("/dict", response_model=PublicUser)
    async def from_dict():
        return {"id": 1, "name": "ann", "password_hash": "secret"}

    @app.get("/subclass", response_model=PublicUser)
    async def from_subclass():
        return StoredUser(id=2, name="bob", password_hash="secret")

    @app.get("/list", response_model=list[PublicUser])
    async def from_list():
        return [StoredUser(id=3, name="cy", password_hash="x")]

    client = TestClient(app)
    assert client.get("/dict").json() == {"id": 1, "name": "ann"}
    assert client.get("/subclass").json() == {"id": 2, "name": "bob"}
    assert client.get("/list").json() == [{"id": 3, "name": "cy"}]


def test_models_and_dataclasses_serialize_without_a_response_model() -> None:
    app = App()

    @app.get("/model")
    async def model() -> StoredUser:
        return StoredUser(id=1, name="a", password_hash="h")

    @app.get("/dataclass")
    async def dataclass_value() -> Pair:
        return Pair(1, 2)

    client = TestClient(app)
    response = client.get("/model")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": 1, "name": "a", "password_hash": "h"}
    assert client.get("/dataclass").json() == {"left": 1, "right": 2}


def test_status_code_and_headers_per_route() -> None:
    app = App()

    @app.post("/things", status_code=201, headers={"X-Kind": "thing"})
    async def create(name: str = "x"):
        return {"name": name}

    @app.delete("/things/{n:int}", status_code=204)
    async def delete(n: int):
        return None

    @app.get("/explicit", status_code=201)
    async def explicit():
        return PlainTextResponse("mine", status_code=200)

    @app.get("/tuple", status_code=201)
    async def as_tuple():
        return {"ok": True}, 202

    client = TestClient(app)
    created = client.post("/things?name=y")
    assert created.status_code == 201
    assert created.headers["x-kind"] == "thing"
    assert created.json() == {"name": "y"}
    assert client.delete("/things/1").status_code == 204
    assert client.get("/explicit").status_code == 200
    assert client.get("/tuple").status_code == 202


def test_unknown_route_option_fails_at_registration() -> None:
    app = App()
    with pytest.raises(ImproperlyConfigured, match="respons_model"):
        app.add_route("/x", lambda: "x", respons_model=PublicUser)


def test_background_tasks_run_after_the_response_and_errors_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()
    ran: list[str] = []

    def failing() -> None:
        raise RuntimeError("task failed")

    async def record(value: str) -> None:
        ran.append(value)
        done.set()

    @app.post("/signup")
    async def signup(tasks: BackgroundTasks, name: str = "ann"):
        tasks.add(failing)
        tasks.add(record, name)
        return {"queued": len(tasks), "ran_before_response": list(ran)}

    async def scenario() -> None:
        async with AsyncTestClient(app) as client:
            response = await client.post("/signup?name=bo")
            assert response.json() == {"queued": 2, "ran_before_response": []}
            await asyncio.wait_for(done.wait(), 5)

    done = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="fastcore.background"):
        asyncio.run(scenario())
    assert ran == ["bo"]
    assert "task failed" in caplog.text


def test_db_session_is_bound_by_its_type(tmp_path: Path) -> None:
    from fastcore.orm import Database

    app = App()
    Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}").init_app(app)

    @app.get("/answer")
    async def answer(db: AsyncSession, plus: int = 0):
        value = (await db.execute(sqlalchemy.text("select 41"))).scalar_one()
        return {"answer": value + plus, "session": isinstance(db, AsyncSession)}

    with TestClient(app) as client:
        assert client.get("/answer?plus=1").json() == {"answer": 42, "session": True}


def test_typed_handlers_over_a_real_socket() -> None:
    # An app without middleware is routed by the connection protocol itself
    # (eager dispatch): binding, validation errors, dependencies and response
    # models must answer the same there.
    import json
    import urllib.error
    import urllib.request

    from fastcore import Depends
    from fastcore.testing import LiveServer

    app = App()
    closed: list[bool] = []

    async def resource():  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)  # suspends: the request finishes in a Task
        yield "res"
        closed.append(True)

    @app.post("/users/{user_id:int}", response_model=PublicUser, status_code=201)
    async def create(user_id: int, user: StoredUser, res: str = Depends(resource), x: int = 0):
        return user.model_copy(update={"id": user_id + x})

    with LiveServer(app) as server:

        def post(path: str, body: bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
            request = urllib.request.Request(
                server.url + path, data=body, headers={"content-type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())

        body = json.dumps({"id": 0, "name": "ann", "password_hash": "h"}).encode()
        assert post("/users/7?x=1", body) == (201, {"id": 8, "name": "ann"})
        status, problem = post("/users/7?x=one", b'{"name": 1}')
        assert status == 422
        assert [e["loc"] for e in problem["errors"]] == [
            ["query", "x"],
            ["body", "id"],
            ["body", "name"],
            ["body", "password_hash"],
        ]
        assert post("/users/7", b"{")[0] == 400
    assert closed == [True]
