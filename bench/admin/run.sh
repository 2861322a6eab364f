#!/bin/sh
# The admin benchmark (see bench/admin/run.py): fastcore's admin vs Django's admin
# (gunicorn, one sync worker) vs sqladmin (uvicorn, one worker), same data, same run.
# Needs PostgreSQL on 127.0.0.1:5432/test, wrk, and a venv with the bench extra's
# django, gunicorn, psycopg, sqladmin and uvicorn in $PEER_VENV.
# Usage: PEER_VENV=/tmp/venv-admin-peer sh bench/admin/run.sh [--rounds 3 --duration 5]
set -eu
exec python "$(dirname "$0")/run.py" "$@"
