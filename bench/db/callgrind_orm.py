"""Instructions per ORM request in the app's process, counted by callgrind.

A database benchmark over wrk on a shared 2-core machine moves by tens of
percent; the instructions the web process spends on one request's database
work do not. This script runs a bounded number of "requests" in-process, each
what a handler and its session middleware do, and reports the difference
between a long and a short run divided by the extra requests (start-up and
connection set-up cancel out). PostgreSQL's own work is in another process and
not counted.

Subjects (``--subject``):

- ``fastcore``: ``Database.new_session()`` (``request.db``), the handler's
  statements, then the middleware's commit and close (fastcore's defaults).
- ``fastcore-begin-first``: the same with ``Database(defer_begin=False)``.
- ``sqlalchemy``: an ``async_sessionmaker`` session used as FastAPI's SQL
  tutorial does (``async with sessions() as session``), what the ORM peers in
  ``bench/db/run.py`` run.

Workloads (``--workload``): ``db`` (one ``session.get``), ``queries`` (20
``session.get``), ``fortunes`` (``select(Fortune)``, all rows).

Needs the ``world`` and ``fortune`` tables of ``bench/db/run.py`` (run it once,
or ``--quick``, to create them)::

    python bench/db/callgrind_orm.py
    python bench/db/callgrind_orm.py --workload db --count 600 --base 200
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "load"))

from callgrind_request import callgrind_instructions  # noqa: E402  (bench/load)

SUBJECTS = ("fastcore", "fastcore-begin-first", "sqlalchemy")
WORKLOADS = {"db": 1, "queries": 20, "fortunes": 0}


async def _run(subject: str, workload: str, count: int) -> None:
    from sqlalchemy import select

    from bench.db.apps.common import DSN, SERVER_SETTINGS
    from bench.db.apps.models import Fortune, World, peer_sessions

    rng = random.Random(0)
    gets = WORKLOADS[workload]

    async def handler(session: Any) -> None:
        if gets:
            for _ in range(gets):
                world = await session.get(World, rng.randint(1, 10_000))
                assert world is not None
        else:
            rows = list(await session.scalars(select(Fortune)))
            assert rows

    if subject == "sqlalchemy":
        engine, sessions = peer_sessions()

        async def one_request() -> None:
            async with sessions() as session:
                await handler(session)

        closer = engine.dispose
    else:
        from fastcore.orm import Database

        database = Database(
            DSN.replace("postgresql://", "postgresql+asyncpg://", 1),
            pool_size=1,
            max_overflow=0,
            engine_options={"connect_args": {"server_settings": SERVER_SETTINGS}},
            defer_begin=subject == "fastcore",
        )
        await database.connect()

        async def one_request() -> None:
            # What DatabaseSessionMiddleware does around the handler.
            session = database.new_session()
            try:
                await handler(session)
                if session.in_transaction():
                    await session.commit()
            finally:
                await session.close()

        closer = database.disconnect
    for _ in range(count):
        await one_request()
    await closer()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", choices=SUBJECTS, action="append")
    parser.add_argument("--workload", choices=tuple(WORKLOADS), action="append")
    parser.add_argument("--count", type=int, default=500, help="requests of the long run")
    parser.add_argument("--base", type=int, default=100, help="requests of the short run")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    subjects = args.subject or list(SUBJECTS)
    workloads = args.workload or list(WORKLOADS)
    if args.inner:
        import uvloop

        uvloop.run(_run(subjects[0], workloads[0], args.count))
        return
    script = str(Path(__file__).resolve())
    print(f"instructions per request in the web process (callgrind, {args.count} - {args.base})")
    table: dict[str, dict[str, float]] = {}
    for workload in workloads:
        for subject in subjects:
            runs = []
            for count in (args.count, args.base):
                runs.append(
                    callgrind_instructions(
                        [script, "--inner", "--subject", subject, "--workload", workload]
                        + ["--count", str(count)]
                    )
                )
            per_request = (runs[0] - runs[1]) / (args.count - args.base)
            table.setdefault(workload, {})[subject] = per_request
            print(f"  {workload:9} {subject:21} {per_request:11,.0f}", flush=True)
    for workload, row in table.items():
        if "fastcore" in row:
            for other in ("fastcore-begin-first", "sqlalchemy"):
                if other in row:
                    print(f"  {workload:9} {other}/fastcore = {row[other] / row['fastcore']:.2f}x")


if __name__ == "__main__":
    main()
