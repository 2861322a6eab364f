#!/bin/sh
# The admin change list (100 of 10,000 PostgreSQL rows, 4 columns incl. a foreign key,
# a search term) and the change form: fastcore's admin (bundled server, one worker)
# vs sqladmin (uvicorn, one worker), same data, same run. Needs PostgreSQL on
# 127.0.0.1:5432/test, wrk, and a venv with sqladmin in $PEER_VENV.
# Usage: PEER_VENV=/tmp/venv-admin-peer sh bench/admin/run.sh
set -eu
DURATION=${DURATION:-8}
psql_exec() { python - "$1" <<'PY'
import asyncio, sys, asyncpg
async def main():
    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
    try:
        await connection.execute(sys.argv[1])
    finally:
        await connection.close()
asyncio.run(main())
PY
}
psql_exec "DROP SCHEMA IF EXISTS bench_admin CASCADE; CREATE SCHEMA bench_admin;
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
ANALYZE bench_authors; ANALYZE bench_books;"

taskset -c 0 fastcore run bench.admin.fastcore_app:app --port 8401 --workers 1 >/tmp/bench-admin-fastcore.log 2>&1 &
FASTCORE=$!
taskset -c 0 "$PEER_VENV/bin/python" -m uvicorn bench.admin.sqladmin_app:app --port 8402 \
  --workers 1 --log-level warning >/tmp/bench-admin-sqladmin.log 2>&1 &
SQLADMIN=$!
trap 'kill $FASTCORE $SQLADMIN' EXIT
sleep 6
COOKIE=$(python -m bench.admin.login http://127.0.0.1:8401)

run() {  # name url [cookie]
  taskset -c 1 wrk -t1 -c8 -d"${DURATION}s" -H "Cookie: ${3:-}" "$2" | awk -v name="$1" '
    /Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF} END {printf "%-28s %8.1f req/s %s\n", name, rps, bad ? "NON-2xx " bad : ""}'
}
run "fastcore change list" "http://127.0.0.1:8401/admin/bench/book?q=Book+1" "$COOKIE"
run "sqladmin change list" "http://127.0.0.1:8402/admin/book/list?search=Book%201"
run "fastcore change form" "http://127.0.0.1:8401/admin/bench/book/5000/change" "$COOKIE"
run "sqladmin change form" "http://127.0.0.1:8402/admin/book/edit/5000"
