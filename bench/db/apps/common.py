"""What every database benchmark app shares: the connection settings and TechEmpower rules.

Settings come from the environment that bench/db/run.py sets, so every app in
a run talks to the same tables with the same pool size.
"""

from __future__ import annotations

import os
import random
from typing import Any

#: The PostgreSQL server (asyncpg DSN form, without SQLAlchemy's "+asyncpg").
DSN = os.environ.get("BENCH_DB_DSN", "postgresql://postgres@127.0.0.1:5432/test")
#: The schema holding the World and Fortune tables (set as the search_path).
SCHEMA = os.environ.get("BENCH_DB_SCHEMA", "fastcore_bench")
#: Connections per server process, the same for every app.
POOL_SIZE = int(os.environ.get("BENCH_DB_POOL", "16"))
#: asyncpg server settings that put the benchmark schema first.
SERVER_SETTINGS = {"search_path": SCHEMA}

WORLD_ROWS = 10_000
ADDED_FORTUNE = "Additional fortune added at request time."
TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")

READ_WORLD = "SELECT id, randomnumber FROM world WHERE id = $1"
WRITE_WORLD = "UPDATE world SET randomnumber = $2 WHERE id = $1"
READ_FORTUNES = "SELECT id, message FROM fortune"


def random_id() -> int:
    """A World id, uniformly from 1 to 10,000."""
    return random.randint(1, WORLD_ROWS)


def query_count(raw: str | None) -> int:
    """The ``queries`` parameter by the TechEmpower rules: 1..500, 1 if not a number."""
    try:
        count = int(raw) if raw else 1
    except ValueError:
        return 1
    return min(max(count, 1), 500)


def jinja_fortunes_template() -> Any:
    """The fortunes template compiled by Jinja2 with autoescape, as the peers render it."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    return environment.get_template("fortunes.html")
