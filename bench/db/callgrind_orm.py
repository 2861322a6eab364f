"""Instructions per ORM request in the app's process, counted by callgrind.

A database benchmark over wrk on a shared 2-core machine moves by tens of
percent; the instructions the web process spends on one request do not. This
script runs a bounded number of requests in-process and reports the
difference between a long and a short run divided by the extra requests
(start-up and connection set-up cancel out). PostgreSQL's own work is in
another process and not counted.

Subjects (``--subject``), whole requests, HTTP bytes in and out:

- ``fastcore-app``: ``apps/fastcore_db.py``'s ``/orm/...`` routes behind
  fastcore's compiled ``HttpProtocol``, as ``fastcore run`` serves them.
- ``fastapi-app``: ``apps/fastapi_orm.py`` (FastAPI, SQLAlchemy's async ORM,
  the session from ``Depends``) behind uvicorn's httptools protocol, as
  ``uvicorn --http httptools --no-access-log`` serves it.

and the database work alone, no HTTP:

- ``fastcore``: ``Database.new_session()`` (``request.db``), the handler's
  ORM calls, then the session middleware's commit and close.
- ``fastcore-begin-first``: the same with ``Database(defer_begin=False)``.
- ``sqlalchemy``: an ``async_sessionmaker`` session used as FastAPI's SQL
  tutorial does (``async with sessions() as session``).

Workloads (``--workload``), TechEmpower's: ``db`` (one get), ``queries`` (20
gets), ``updates`` (20 gets, 20 changes, one commit), ``fortunes``
(``select(Fortune)``, one object added, sorted; the app subjects render the
template too).

Needs the ``world`` and ``fortune`` tables of ``bench/db/run.py`` (run it once,
or ``--quick``, to create them)::

    python bench/db/callgrind_orm.py --subject fastcore-app --subject fastapi-app
    python bench/db/callgrind_orm.py --workload db --count 600 --base 200
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from operator import attrgetter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "load"))

from callgrind_request import callgrind_instructions  # noqa: E402  (bench/load)

SUBJECTS = ("fastcore-app", "fastapi-app", "fastcore", "fastcore-begin-first", "sqlalchemy")
WORKLOADS = ("db", "queries", "updates", "fortunes")
#: Requests of the long and the short run per workload (callgrind runs ~50x slower).
COUNTS = {"db": (400, 100), "queries": (80, 20), "updates": (80, 20), "fortunes": (300, 75)}
PATHS = {
    "db": "/db",
    "queries": "/queries?queries=20",
    "updates": "/updates?queries=20",
    "fortunes": "/fortunes",
}


class _ResponseTransport:
    """A transport that collects what the protocol writes and tells when a response is whole."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.done: asyncio.Future[bytes] | None = None

    def write(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0 or self.done is None:
            return
        head = bytes(self.buffer[:head_end]).lower()
        start = head.find(b"content-length:")
        length = int(head[start + 15 :].split(b"\r\n", 1)[0])
        if len(self.buffer) >= head_end + 4 + length:
            response = bytes(self.buffer)
            self.buffer.clear()
            if not self.done.done():
                self.done.set_result(response)

    def writelines(self, items: list[bytes]) -> None:
        self.write(b"".join(items))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name in ("peername", "sockname"):
            return ("127.0.0.1", 50000)
        return default

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, *args: Any) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        pass


async def _http_requests(subject: str, workload: str, count: int) -> None:
    loop = asyncio.get_running_loop()
    transport = _ResponseTransport()
    if subject == "fastcore-app":
        from bench.db.apps.fastcore_db import app, database
        from fastcore._speedups.protocol import HttpProtocol, ServerState
        from fastcore.server import ServerConfig

        await database.connect()
        protocol: Any = HttpProtocol(
            app.build_dispatch(), ServerState(ServerConfig(), loop), app.request_class
        )
        path = "/orm" + PATHS[workload]
        closer = database.disconnect
    else:
        from uvicorn.config import Config
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
        from uvicorn.server import ServerState as UvicornState

        from bench.db.apps import fastapi_orm
        from bench.db.apps.models import peer_sessions

        # What the app's lifespan does at start-up.
        engine, fastapi_orm.state["sessions"] = peer_sessions()
        config = Config(
            fastapi_orm.app, http="httptools", lifespan="off", access_log=False, log_level="warning"
        )
        config.load()
        protocol = HttpToolsProtocol(config=config, server_state=UvicornState(), app_state={})
        path = PATHS[workload]
        closer = engine.dispose
    protocol.connection_made(transport)
    request = f"GET {path} HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n\r\n".encode()
    for _ in range(count):
        transport.done = loop.create_future()
        protocol.data_received(request)
        response = await transport.done
        if not response.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{subject} {path}: {response[:200]!r}")
        # Work the server does after the response (uvicorn runs FastAPI's
        # dependency clean-up, the session's close, after sending it) counts.
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if others:
            await asyncio.wait(others)
    await closer()


async def _session_requests(subject: str, workload: str, count: int) -> None:
    from sqlalchemy import select

    from bench.db.apps.common import ADDED_FORTUNE, DSN, SERVER_SETTINGS, random_id
    from bench.db.apps.models import Fortune, World, peer_sessions

    async def handler(session: Any) -> None:
        if workload in ("db", "queries"):
            for _ in range(1 if workload == "db" else 20):
                world = await session.get(World, random_id())
                assert world is not None
        elif workload == "updates":
            worlds = [await session.get(World, i) for i in sorted(random_id() for _ in range(20))]
            for world in worlds:
                world.randomnumber = random_id()
        else:
            rows = list(await session.scalars(select(Fortune)))
            rows.append(Fortune(id=0, message=ADDED_FORTUNE))
            rows.sort(key=attrgetter("message"))

    if subject == "sqlalchemy":
        engine, sessions = peer_sessions()

        async def one_request() -> None:
            async with sessions() as session:
                if workload == "updates":
                    async with session.begin():  # as bench/db/apps/fastapi_orm.py
                        await handler(session)
                else:
                    await handler(session)

        closer = engine.dispose
    else:
        from fastcore.orm import Database
        from fastcore.orm.session import DatabaseSessionMiddleware

        database = Database(
            DSN.replace("postgresql://", "postgresql+asyncpg://", 1),
            pool_size=1,
            max_overflow=0,
            engine_options={"connect_args": {"server_settings": SERVER_SETTINGS}},
            defer_begin=subject == "fastcore",
        )
        await database.connect()

        class _Request:
            db: Any = None

        class _Response:
            status_code = 200

        async def _handle(request: _Request) -> Any:
            await handler(request.db)
            return _Response()

        # The session middleware itself, around the handler.
        middleware = DatabaseSessionMiddleware(_handle, database=database)  # type: ignore[arg-type]

        async def one_request() -> None:
            await middleware(_Request())  # type: ignore[arg-type]

        closer = database.disconnect
    for _ in range(count):
        await one_request()
    await closer()


def inner(subject: str, workload: str, count: int) -> None:
    """Run ``count`` requests of one subject and workload (what valgrind is given)."""
    import uvloop

    random.seed(0)
    if subject.endswith("-app"):
        uvloop.run(_http_requests(subject, workload, count))
    else:
        uvloop.run(_session_requests(subject, workload, count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", choices=SUBJECTS, action="append")
    parser.add_argument("--workload", choices=WORKLOADS, action="append")
    parser.add_argument("--count", type=int, help="requests of the long run")
    parser.add_argument("--base", type=int, help="requests of the short run")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    subjects = args.subject or list(SUBJECTS)
    workloads = args.workload or list(WORKLOADS)
    if args.inner:
        inner(subjects[0], workloads[0], args.count)
        return
    script = str(Path(__file__).resolve())
    print("instructions per request in the web process (callgrind, long run - short run)")
    table: dict[str, dict[str, float]] = {}
    for workload in workloads:
        count, base = COUNTS[workload]
        count, base = args.count or count, args.base or base
        for subject in subjects:
            runs = [
                callgrind_instructions(
                    [script, "--inner", "--subject", subject, "--workload", workload]
                    + ["--count", str(requests)]
                )
                for requests in (count, base)
            ]
            per_request = (runs[0] - runs[1]) / (count - base)
            table.setdefault(workload, {})[subject] = per_request
            print(f"  {workload:9} {subject:21} {per_request:12,.0f}", flush=True)
    pairs = (
        ("fastcore-app", "fastapi-app"),
        ("fastcore", "sqlalchemy"),
        ("fastcore", "fastcore-begin-first"),
    )
    for workload, row in table.items():
        for ours, other in pairs:
            if ours in row and other in row:
                print(f"  {workload:9} {other}/{ours} = {row[other] / row[ours]:.2f}x")


if __name__ == "__main__":
    main()
