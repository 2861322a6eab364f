"""Per-query cost in one process, no HTTP: raw asyncpg, the fast path and the ORM.

Each variant reads one random World row by primary key, ``--calls`` times per
round; the report gives the median microseconds per read over ``--rounds``
(rounds interleave the variants). Run it pinned, beside the tables that
bench/db/run.py creates::

    taskset -c 0 python bench/db/overhead.py --rounds 5 --calls 2000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import asyncpg  # noqa: E402
import uvloop  # noqa: E402

from bench.db.apps.models import World  # noqa: E402
from fastcore.orm import Database  # noqa: E402

READ = "SELECT id, randomnumber FROM world WHERE id = $1"


async def main(args: argparse.Namespace) -> None:
    settings = {"search_path": args.schema}
    connection = await asyncpg.connect(args.dsn, server_settings=settings)
    statement = await connection.prepare(READ)
    pool = await asyncpg.create_pool(args.dsn, min_size=1, max_size=1, server_settings=settings)
    database = Database(
        args.dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
        pool_size=1,
        engine_options={"connect_args": {"server_settings": settings}},
    )
    await database.connect()
    fast_read = "SELECT id, randomnumber FROM world WHERE id = :id"

    async def raw_prepared() -> None:
        await statement.fetchrow(random.randint(1, 10_000))

    async def raw_pool() -> None:
        async with pool.acquire() as pooled:
            await pooled.fetchrow(READ, random.randint(1, 10_000))

    async def fast_path() -> None:
        await database.fetch_one(fast_read, {"id": random.randint(1, 10_000)})

    async def orm_session() -> None:
        # What a request does: a session, one get, commit, close.
        session = database.new_session()
        try:
            await session.get(World, random.randint(1, 10_000))
            await session.commit()
        finally:
            await session.close()

    variants: dict[str, Callable[[], Awaitable[None]]] = {
        "asyncpg prepared statement (no pool)": raw_prepared,
        "asyncpg pool acquire + fetchrow": raw_pool,
        "fastcore fast path fetch_one": fast_path,
        "fastcore ORM session.get + commit": orm_session,
    }
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for round_index in range(args.rounds):
        names = list(variants)
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            call = variants[name]
            for _ in range(50):
                await call()
            started = time.perf_counter()
            for _ in range(args.calls):
                await call()
            timings[name].append((time.perf_counter() - started) / args.calls * 1e6)
    print(f"median us per read over {args.rounds} rounds of {args.calls} calls")
    baseline = statistics.median(timings["asyncpg pool acquire + fetchrow"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:40} {median:8.1f} us   {median / baseline:5.2f}x the asyncpg pool")
    await database.disconnect()
    await pool.close()
    await connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="fastcore_bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    uvloop.run(main(parser.parse_args()))
