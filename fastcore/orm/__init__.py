"""The data layer: SQLAlchemy 2 (async), a session per request, a fast path, migrations.

::

    from fastcore.orm import Database, IdMixin, Model

    db = Database()            # DATABASE_URL, or a SQLite file
    db.init_app(app)           # request.db in every handler

See docs/database.md.
"""

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
from fastcore.orm.session import sync_session as sync_session

__all__ = [
    "DEFAULT_URL",
    "Database",
    "DatabaseSessionMiddleware",
    "FastConnection",
    "IdMixin",
    "Model",
    "Page",
    "RequestSession",
    "Row",
    "SyncSession",
    "TimestampMixin",
    "UTCDateTime",
    "UUIDMixin",
    "bulk_insert",
    "exists",
    "first_or_404",
    "get_or_404",
    "paginate",
    "sync_session",
]
