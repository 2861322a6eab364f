"""Alembic environment: fastcore configures it from the Database (no edits needed)."""

from fastcore.orm.migrations import run_environment

run_environment()
