"""Module-level apps of the typed workload, for servers that import ``module:app``."""

from __future__ import annotations

from bench.typed.apps import fastapi_app, fastcore_raw, fastcore_typed, litestar_app

fastcore_typed_app = fastcore_typed()
fastcore_raw_app = fastcore_raw()
fastapi = fastapi_app()
litestar = litestar_app()
