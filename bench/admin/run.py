"""The admin benchmark: fastcore's admin vs Django's admin vs sqladmin, same data, same run.

The change list (100 of 10,000 PostgreSQL rows, 4 columns incl. a foreign key,
a search term) and the change form (a foreign key select of 100 authors), each
server on one worker pinned to core 0, wrk pinned to core 1, rounds
interleaved; medians and same-run ratios printed, of requests per second and
of requests per second of the server's own CPU time (steady on a shared
machine, where the wall-clock figure depends on what else runs).

Needs PostgreSQL on 127.0.0.1:5432/test, wrk, and a peer venv (``$PEER_VENV``)
with the bench extra's django, gunicorn, psycopg, sqladmin and uvicorn::

    PEER_VENV=/tmp/venv-admin-peer python bench/admin/run.py --rounds 3 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: the bench package is importable

SCHEMA_SQL = """
DROP SCHEMA IF EXISTS bench_admin CASCADE; DROP SCHEMA IF EXISTS bench_admin_django CASCADE;
CREATE SCHEMA bench_admin; CREATE SCHEMA bench_admin_django;
SET search_path = bench_admin;
CREATE TYPE bench_genre AS ENUM ('NOVEL', 'POETRY');
CREATE TABLE bench_authors (id serial PRIMARY KEY, name varchar(100) NOT NULL);
CREATE TABLE bench_books (id serial PRIMARY KEY, title varchar(200) NOT NULL,
  genre bench_genre NOT NULL, published boolean NOT NULL,
  author_id integer NOT NULL REFERENCES bench_authors(id));
CREATE INDEX ix_bench_books_title ON bench_books (title);
CREATE INDEX ix_bench_books_author_id ON bench_books (author_id);
INSERT INTO bench_authors (name) SELECT 'Author ' || n FROM generate_series(1, 100) n;
INSERT INTO bench_books (title, genre, published, author_id)
  SELECT 'Book ' || n, CASE WHEN n % 3 = 0 THEN 'POETRY'::bench_genre ELSE 'NOVEL' END,
         n % 2 = 0, 1 + n % 100 FROM generate_series(1, 10000) n;
ANALYZE bench_authors; ANALYZE bench_books;
"""

PAGES = {
    "change list": {
        "fastcore": "/admin/bench/book?q=Book+1",
        "django": "/admin/bench/book/?q=Book+1",
        "sqladmin": "/admin/book/list?search=Book%201",
    },
    "change form": {
        "fastcore": "/admin/bench/book/5000/change",
        "django": "/admin/bench/book/5000/change/",
        "sqladmin": "/admin/book/edit/5000",
    },
}


async def _create_schema() -> None:
    import asyncpg

    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
    try:
        await connection.execute(SCHEMA_SQL)
    finally:
        await connection.close()


def _wait(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its descendants (gunicorn's worker)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _cpu_seconds(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def _wrk(url: str, cookie: str, duration: int) -> tuple[float, int]:
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c8", f"-d{duration}s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{url}: non-2xx answers\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"(\d+) requests in", output)
    assert match is not None and count is not None, output
    return float(match.group(1)), int(count.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    args = parser.parse_args()
    peer = Path(os.environ.get("PEER_VENV", "/tmp/venv-admin-peer")) / "bin"
    asyncio.run(_create_schema())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    django_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.admin.django_site.settings"}
    subprocess.run(
        [peer / "python", "-m", "bench.admin.django_site.setup_db"], env=django_env, check=True
    )
    pin = ["taskset", "-c", "0"]
    servers = {
        "fastcore": (
            [*pin, Path(sys.executable).parent / "fastcore", "run", "bench.admin.fastcore_app:app"]
            + ["--port", "8401", "--workers", "1"],
            env,
            8401,
        ),
        "sqladmin": (
            [*pin, peer / "python", "-m", "uvicorn", "bench.admin.sqladmin_app:app"]
            + ["--port", "8402", "--workers", "1", "--log-level", "warning"],
            env,
            8402,
        ),
        "django": (
            [*pin, peer / "gunicorn", "bench.admin.django_site.wsgi:application"]
            + ["-w", "1", "-b", "127.0.0.1:8403", "--log-level", "warning"],
            django_env,
            8403,
        ),
    }
    processes = []
    try:
        for name, (command, environment, _) in servers.items():
            log = open(f"/tmp/bench-admin-{name}.log", "w")  # noqa: SIM115 - the server's lifetime
            argv = [str(part) for part in command]
            processes.append(
                subprocess.Popen(argv, env=environment, cwd=ROOT, stdout=log, stderr=log)
            )
        for _, _, port in servers.values():
            _wait(f"http://127.0.0.1:{port}/admin/")
        from bench.admin.django_site.login import main as django_login
        from bench.admin.login import main as fastcore_login

        cookies = {
            "fastcore": fastcore_login("http://127.0.0.1:8401"),
            "django": django_login("http://127.0.0.1:8403"),
            "sqladmin": "",
        }
        results: dict[tuple[str, str], list[float]] = {}
        per_cpu: dict[tuple[str, str], list[float]] = {}
        for round_number in range(args.rounds):
            order = list(servers)
            order = order[round_number % 3 :] + order[: round_number % 3]
            for page, urls in PAGES.items():
                for name in order:
                    url = f"http://127.0.0.1:{servers[name][2]}{urls[name]}"
                    pid = processes[list(servers).index(name)].pid
                    before = _cpu_seconds(pid)
                    value, count = _wrk(url, cookies[name], args.duration)
                    used = _cpu_seconds(pid) - before
                    results.setdefault((page, name), []).append(value)
                    # Requests per second of the server's own CPU time: what the
                    # server would do with a core to itself (this machine is shared).
                    per_cpu.setdefault((page, name), []).append(count / used if used else 0.0)
        print(f"rounds={args.rounds} duration={args.duration}s wrk -t1 -c8, one worker each")
        for label, table, unit in [
            ("wall clock", results, "req/s"),
            ("server CPU", per_cpu, "req/CPU-s"),
        ]:
            for page in PAGES:
                medians = {name: statistics.median(table[(page, name)]) for name in servers}
                for name, value in medians.items():
                    runs = ", ".join(f"{v:.0f}" for v in table[(page, name)])
                    print(f"{label}  {page:12} {name:9} {value:8.1f} {unit}  (runs: {runs})")
                print(
                    f"{label}  {page:12} fastcore / django = "
                    f"{medians['fastcore'] / medians['django']:.2f}x, fastcore / sqladmin = "
                    f"{medians['fastcore'] / medians['sqladmin']:.2f}x"
                )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
