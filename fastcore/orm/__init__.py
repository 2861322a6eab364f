"""The data layer: SQLAlchemy 2 (async), a session per request, a fast path, migrations.

::

    from fastcore.orm import Database, IdMixin, Model

    db = Database()            # DATABASE_URL, or a SQLite file
    db.init_app(app)           # request.db in every handler

See docs/database.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastcore._lazy import lazy_exports

if TYPE_CHECKING:
    from fastcore.orm.database import DEFAULT_URL as DEFAULT_URL
    from fastcore.orm.database import Database as Database
    from fastcore.orm.fastpath import FastConnection as FastConnection
    from fastcore.orm.fastpath import Row as Row
    from fastcore.orm.models import IdMixin as IdMixin
    from fastcore.orm.models import Model as Model
    from fastcore.orm.models import TimestampMixin as TimestampMixin
    from fastcore.orm.models import UTCDateTime as UTCDateTime
    from fastcore.orm.models import UUIDMixin as UUIDMixin
    from fastcore.orm.pagination import Page as Page
    from fastcore.orm.pagination import paginate as paginate
    from fastcore.orm.queries import bulk_insert as bulk_insert
    from fastcore.orm.queries import exists as exists
    from fastcore.orm.queries import first_or_404 as first_or_404
    from fastcore.orm.queries import get_or_404 as get_or_404
    from fastcore.orm.session import DatabaseSessionMiddleware as DatabaseSessionMiddleware
    from fastcore.orm.session import RequestSession as RequestSession
    from fastcore.orm.session import SyncSession as SyncSession
    from fastcore.orm.session import get_db as get_db
    from fastcore.orm.session import sync_session as sync_session

# PERF: the names load on first use, so `fastcore run` / `fastcore routes`
# (whose parser registers `fastcore db` from fastcore.orm.cli) do not pay for
# importing SQLAlchemy (~0.4 s) when the app has no database.
_EXPORTS = {
    "DEFAULT_URL": "database",
    "Database": "database",
    "FastConnection": "fastpath",
    "Row": "fastpath",
    "IdMixin": "models",
    "Model": "models",
    "TimestampMixin": "models",
    "UTCDateTime": "models",
    "UUIDMixin": "models",
    "Page": "pagination",
    "paginate": "pagination",
    "bulk_insert": "queries",
    "exists": "queries",
    "first_or_404": "queries",
    "get_or_404": "queries",
    "DatabaseSessionMiddleware": "session",
    "RequestSession": "session",
    "SyncSession": "session",
    "get_db": "session",
    "sync_session": "session",
}

__all__ = sorted(_EXPORTS)


_MODULES = {name: f"fastcore.orm.{module}" for name, module in _EXPORTS.items()}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES, __all__)
