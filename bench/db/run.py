"""TechEmpower database tests on PostgreSQL: fastcore (fast path, ORM) against its peers.

The fast path is measured against BlackSheep and Starlette on raw asyncpg (as
their TechEmpower entries are written), the ORM path against Starlette and
FastAPI with the SQLAlchemy async ORM, and against Django's ORM: async views
on uvicorn (``django-async``) and sync views on one gunicorn sync worker
(``django-sync``).

Workloads (TechEmpower rules): single query (``/db``), 20 queries
(``/queries?queries=20``), 20 updates (``/updates?queries=20``) and fortunes
(all rows plus one added per request, sorted, rendered through a template with
escaping). Every server uses a pool of the same size (``--pool``) on the same
``world`` (10,000 rows) and ``fortune`` tables, in the schema ``--schema``,
created and filled by this script when missing.

The process, pinning and measurement helpers are bench/load/run.py's: each
server runs alone pinned to one core, wrk to the other, rounds interleaved,
medians reported. PostgreSQL itself runs unpinned on the same machine, for
every server alike.

Usage::

    python bench/db/run.py --rounds 3 --duration 5
    python bench/db/run.py --quick                    # 1 round of 2 s per workload

Writes ``bench/db/results/db-<timestamp>.md`` and ``.json`` (also printed);
server logs go to ``bench/db/results/logs/`` (not committed).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shlex
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DB_DIR = Path(__file__).resolve().parent
REPO_ROOT = DB_DIR.parent.parent
LOAD_RUN = REPO_ROOT / "bench" / "load" / "run.py"


def _import_load_harness() -> Any:
    # bench/load/run.py is a script, not a package module: load it by path
    # (it puts bench/load on sys.path for its own imports).
    spec = importlib.util.spec_from_file_location("bench_load_run", LOAD_RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load_run"] = module
    spec.loader.exec_module(module)
    return module


load = _import_load_harness()
from servers import ServerSpec, _fastcore_run, _uvicorn  # noqa: E402  (bench/load/servers.py)

FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]


@dataclass(frozen=True)
class Contender:
    """A server and the path prefix of its database endpoints."""

    spec: Any
    prefix: str


def _with_env(env: dict[str, str], command: Any) -> Any:
    # `env VAR=value python ...` execs the server in place: same PID for the CPU reading.
    def with_env(host: str, port: int) -> list[str]:
        return ["env", *(f"{key}={value}" for key, value in env.items()), *command(host, port)]

    return with_env


def _gunicorn(target: str) -> Any:
    # One worker of gunicorn's default "sync" class (a request at a time, no
    # keep-alive: the connection closes after each response). The arbiter
    # forks it; the CPU reading sums the process tree.
    def command(host: str, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            target,
            "--bind",
            f"{host}:{port}",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ]

    return command


CONTENDERS = {
    "fastcore-fast": Contender(
        ServerSpec(
            "fastcore-fast",
            "fastcore",
            "fastcore fast path (prepared statements on asyncpg)",
            _fastcore_run("bench.db.apps.fastcore_db:app"),
            ("fastcore.orm", "asyncpg"),
        ),
        "/fast",
    ),
    "fastcore-orm": Contender(
        ServerSpec(
            "fastcore-orm",
            "fastcore",
            "fastcore with the SQLAlchemy ORM (request.db)",
            _fastcore_run("bench.db.apps.fastcore_db:app"),
            ("fastcore.orm", "asyncpg"),
        ),
        "/orm",
    ),
    "fastcore-orm-begin-first": Contender(
        ServerSpec(
            "fastcore-orm-begin-first",
            "fastcore",
            "fastcore ORM with Database(defer_begin=False): BEGIN/COMMIT on every request",
            _with_env(
                {"FASTCORE_BENCH_DEFER_BEGIN": "0"}, _fastcore_run("bench.db.apps.fastcore_db:app")
            ),
            ("fastcore.orm", "asyncpg"),
        ),
        "/orm",
    ),
    "starlette": Contender(
        ServerSpec(
            "starlette",
            "peer",
            "Starlette + raw asyncpg + Jinja2 on uvicorn (httptools, uvloop)",
            _uvicorn("bench.db.apps.starlette_db:app"),
            ("starlette", "uvicorn", "asyncpg", "jinja2"),
        ),
        "",
    ),
    "starlette-orm": Contender(
        ServerSpec(
            "starlette-orm",
            "orm-peer",
            "Starlette + SQLAlchemy async ORM (session per request) on uvicorn",
            _uvicorn("bench.db.apps.starlette_orm:app"),
            ("starlette", "uvicorn", "asyncpg", "sqlalchemy"),
        ),
        "",
    ),
    "fastapi-orm": Contender(
        ServerSpec(
            "fastapi-orm",
            "orm-peer",
            "FastAPI + SQLAlchemy async ORM (session from Depends) on uvicorn",
            _uvicorn("bench.db.apps.fastapi_orm:app"),
            ("fastapi", "uvicorn", "asyncpg", "sqlalchemy"),
        ),
        "",
    ),
    "django-async": Contender(
        ServerSpec(
            "django-async",
            "orm-peer",
            "Django async views and async ORM (psycopg pool) on uvicorn (httptools, uvloop)",
            _with_env(
                {
                    "BENCH_DJANGO_MODE": "async",
                    "DJANGO_SETTINGS_MODULE": "bench.db.apps.django_site.settings",
                },
                _uvicorn("bench.db.apps.django_site.asgi:application"),
            ),
            ("django", "uvicorn", "psycopg", "psycopg_pool"),
        ),
        "/async",
    ),
    "django-sync": Contender(
        ServerSpec(
            "django-sync",
            "orm-peer",
            "Django sync views and ORM (one persistent connection) on gunicorn, 1 sync worker",
            _with_env(
                {
                    "BENCH_DJANGO_MODE": "sync",
                    "DJANGO_SETTINGS_MODULE": "bench.db.apps.django_site.settings",
                },
                _gunicorn("bench.db.apps.django_site.wsgi:application"),
            ),
            ("django", "gunicorn", "psycopg"),
        ),
        "/sync",
    ),
    "blacksheep": Contender(
        ServerSpec(
            "blacksheep",
            "peer",
            "BlackSheep + raw asyncpg + Jinja2 on uvicorn (httptools, uvloop)",
            _uvicorn("bench.db.apps.blacksheep_db:app"),
            ("blacksheep", "uvicorn", "asyncpg", "jinja2"),
        ),
        "",
    ),
}

WORKLOADS = (
    ("db", "/db"),
    ("queries-20", "/queries?queries=20"),
    ("updates-20", "/updates?queries=20"),
    ("fortunes", "/fortunes"),
)


# -- the database ---------------------------------------------------------------


async def prepare_tables(dsn: str, schema: str) -> None:
    """Create and fill ``world`` and ``fortune`` in ``schema`` unless already there."""
    import random

    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await connection.execute(f'SET search_path TO "{schema}"')
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS world "
            "(id integer PRIMARY KEY, randomnumber integer NOT NULL)"
        )
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS fortune "
            "(id integer PRIMARY KEY, message varchar(2048) NOT NULL)"
        )
        if await connection.fetchval("SELECT count(*) FROM world") != 10_000:
            await connection.execute("TRUNCATE world")
            await connection.copy_records_to_table(
                "world", records=[(i, random.randint(1, 10_000)) for i in range(1, 10_001)]
            )
        if await connection.fetchval("SELECT count(*) FROM fortune") != len(FORTUNES):
            await connection.execute("TRUNCATE fortune")
            await connection.copy_records_to_table(
                "fortune", records=list(enumerate(FORTUNES, start=1))
            )
        await connection.execute("VACUUM ANALYZE world")
        await connection.execute("VACUUM ANALYZE fortune")
    finally:
        await connection.close()


# -- checks -----------------------------------------------------------------------


def check_endpoints(port: int, prefix: str) -> list[str]:
    """Answer each endpoint once and check the TechEmpower shape; list problems."""
    problems = []
    for name, path in WORKLOADS:
        status, headers, body = load.http_get(port, prefix + path, timeout=5.0)
        if status != 200:
            problems.append(f"{name}: status {status}")
            continue
        if name == "fortunes":
            text = body.decode()
            if (
                "&lt;script&gt;" not in text
                or "Additional fortune added at request time." not in text
            ):
                problems.append("fortunes: escaping or the added fortune missing")
            if text.count("<tr>") != len(FORTUNES) + 2:
                problems.append(f"fortunes: {text.count('<tr>')} rows")
            continue
        data = json.loads(body)
        rows = [data] if name == "db" else data
        if name != "db" and len(rows) != 20:
            problems.append(f"{name}: {len(rows)} rows, not 20")
        if not all(set(row) == {"id", "randomNumber"} for row in rows):
            problems.append(f"{name}: wrong keys {rows[0]}")
        if not headers.get("content-type", [""])[0].startswith("application/json"):
            problems.append(f"{name}: content-type {headers.get('content-type')}")
    return problems


# -- running ----------------------------------------------------------------------


def bench_contender(
    name: str, round_index: int, args: argparse.Namespace, log_path: Path
) -> tuple[list[Any], list[str]]:
    """Start one server, run each workload once, stop it."""
    contender = CONTENDERS[name]
    port = load.free_port()
    proc = load.start_server(contender.spec, port, args.server_core, log_path)
    results: list[Any] = []
    problems: list[str] = []
    try:
        load.wait_until_ready(proc, port, 20.0)
        problems += check_endpoints(port, contender.prefix)
        for workload_name, path in WORKLOADS:
            if workload_name not in args.workloads:
                continue
            workload = load.Workload(workload_name, contender.prefix + path, False, "", b"")
            if args.warmup > 0:
                warm = load.RunResult(name, "warmup", round_index)
                load.run_wrk(port, workload, args.warmup, args.connections, args.wrk_core, warm)
            result = load.RunResult(name, workload_name, round_index)
            result.quiet_wait_seconds = load.wait_for_quiet_core(args.server_core, args.quiet_wait)
            user_before, system_before = load.tree_cpu_seconds(proc.pid)
            load.run_wrk(port, workload, args.duration, args.connections, args.wrk_core, result)
            user_after, system_after = load.tree_cpu_seconds(proc.pid)
            result.server_system_seconds = system_after - system_before
            result.server_cpu_seconds = user_after - user_before + result.server_system_seconds
            if result.non_2xx or result.socket_errors or result.error:
                problems.append(
                    f"{workload_name}: non-2xx {result.non_2xx}, socket errors "
                    f"{result.socket_errors}, {result.error or 'no wrk error'}"
                )
            results.append(result)
    except (load.ServerFailed, OSError) as exc:
        problems.append(f"{exc} (log: {log_path})")
    finally:
        load.stop_server(proc)
    return results, problems


def median_of(results: list[Any], server: str, workload: str, per_cpu: bool) -> float | None:
    """The median over rounds of req/s (wall clock) or of requests per server CPU-second."""
    values = [
        r.requests_per_cpu_second if per_cpu else r.requests_per_second
        for r in results
        if r.server == server and r.workload == workload and not r.error and not r.non_2xx
    ]
    return statistics.median(values) if values else None


def _table(results: list[Any], names: list[str], per_cpu: bool) -> list[str]:
    peers = [n for n in names if CONTENDERS[n].spec.kind == "peer"]
    orm_peers = [n for n in names if CONTENDERS[n].spec.kind == "orm-peer"]
    lines = [
        "| server | " + " | ".join(w for w, _ in WORKLOADS) + " |",
        "| --- | " + " | ".join("---:" for _ in WORKLOADS) + " |",
    ]
    for name in names:
        cells = []
        for workload, _ in WORKLOADS:
            value = median_of(results, name, workload, per_cpu)
            cells.append("—" if value is None else f"{value:,.0f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    # The fast path is compared with the raw-driver peers, the ORM with each ORM peer.
    comparisons = [("fastcore-fast", peers, "best raw peer")]
    comparisons += [("fastcore-orm", [peer], peer) for peer in orm_peers]
    comparisons.append(("fastcore-orm", ["fastcore-orm-begin-first"], "BEGIN per request"))
    for name, against, label in comparisons:
        against = [n for n in against if n in names]
        if name not in names or not against:
            continue
        cells = []
        for workload, _ in WORKLOADS:
            ours = median_of(results, name, workload, per_cpu)
            best = max((median_of(results, p, workload, per_cpu) or 0.0) for p in against)
            cells.append("—" if not ours or not best else f"{ours / best:.2f}x")
        lines.append(f"| {name} / {label} | " + " | ".join(cells) + " |")
    return lines


def render(
    results: list[Any], names: list[str], problems: dict[str, set[str]], command: str
) -> str:
    """Markdown tables of medians per workload (wall clock, per CPU-second) with the ratios."""
    lines = ["# TechEmpower database tests (PostgreSQL)", "", f"`{command}`", ""]
    lines.append("Median requests per second (wall clock):")
    lines.append("")
    lines += _table(results, names, per_cpu=False)
    lines.append("")
    lines.append("Median requests per second of server CPU time (the server's process tree):")
    lines.append("")
    lines += _table(results, names, per_cpu=True)
    lines.append("")
    lines.append("Medians over rounds (wrk -t1, server and wrk pinned to separate cores).")
    for name in names:
        for problem in sorted(problems.get(name, ())):
            lines.append(f"- {name}: {problem}")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default=",".join(CONTENDERS))
    parser.add_argument(
        "--workloads",
        default=",".join(name for name, _ in WORKLOADS),
        help="which of " + ", ".join(name for name, _ in WORKLOADS) + " (comma-separated)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds per workload")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--pool", type=int, default=16, help="connections per server (all alike)")
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--schema", default="fastcore_bench")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--wrk-core", type=int, default=1)
    parser.add_argument("--quiet-wait", type=float, default=3.0)
    parser.add_argument("--time-limit", type=float, default=20.0, help="minutes")
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s per workload")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 2.0, 0.5
    args.workloads = {name.strip() for name in args.workloads.split(",") if name.strip()}
    unknown = args.workloads - {name for name, _ in WORKLOADS}
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONTENDERS]
    if unknown:
        print(f"unknown servers {unknown}; known: {', '.join(CONTENDERS)}", file=sys.stderr)
        return 2
    asyncio.run(prepare_tables(args.dsn, args.schema))
    os.environ.update(
        BENCH_DB_DSN=args.dsn, BENCH_DB_SCHEMA=args.schema, BENCH_DB_POOL=str(args.pool)
    )
    results_dir = DB_DIR / "results"
    (results_dir / "logs").mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results: list[Any] = []
    problems: dict[str, set[str]] = {name: set() for name in names}
    started = time.monotonic()
    for round_index in range(args.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            if time.monotonic() - started > args.time_limit * 60:
                problems[name].add(f"round {round_index + 1}: skipped, time limit reached")
                continue
            log_path = results_dir / "logs" / f"db-{stamp}-{name}.log"
            runs, found = bench_contender(name, round_index, args, log_path)
            results += runs
            problems[name].update(f"round {round_index + 1}: {p}" for p in found)
            summary = ", ".join(f"{r.workload} {r.requests_per_second:,.0f}/s" for r in runs)
            print(f"  round {round_index + 1} {name:14} {summary or 'FAILED'}", flush=True)
    command = "python bench/db/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    report = render(results, names, problems, command.strip())
    (results_dir / f"db-{stamp}.md").write_text(report)
    (results_dir / f"db-{stamp}.json").write_text(
        json.dumps({"command": command, "results": [asdict(r) for r in results]}, indent=1)
    )
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
