"""Django settings for the database benchmark: DEBUG off, no middleware, PostgreSQL.

The connection settings come from the environment bench/db/run.py sets (see
``bench/db/apps/common.py``), so Django reads the same tables as every other
app. ``BENCH_DJANGO_MODE`` picks how connections are held:

- ``async`` (ASGI on uvicorn): Django runs each request's ORM calls in a
  thread of its own (asgiref's thread-sensitive context), so a connection
  kept per thread would be a new connection per request; Django's psycopg
  pool, as big as every other server's, is what its docs advise for ASGI.
- ``sync`` (WSGI on one gunicorn sync worker): one thread, one persistent
  connection (``CONN_MAX_AGE=None``), as TechEmpower's Django entry holds it.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from bench.db.apps.common import DSN, POOL_SIZE, SCHEMA, TEMPLATES

MODE = os.environ.get("BENCH_DJANGO_MODE", "async")
_dsn = urlsplit(DSN)

SECRET_KEY = "bench-db-django-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["bench.db.apps.django_site.apps.BenchDbConfig"]
# No middleware: the other servers run none either (fastcore with security=False).
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.db.apps.django_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [TEMPLATES],
        # Django escapes {{ }} output by default (autoescape on), as the rules require.
        "OPTIONS": {"context_processors": []},
    }
]
_options: dict[str, object] = {"options": f"-c search_path={SCHEMA}"}
if MODE == "async":
    _options["pool"] = {"min_size": POOL_SIZE, "max_size": POOL_SIZE}
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _dsn.path.lstrip("/") or "test",
        "USER": _dsn.username or "postgres",
        "HOST": _dsn.hostname or "127.0.0.1",
        "PORT": _dsn.port or 5432,
        "OPTIONS": _options,
        # The pool hands connections out per request; without it, keep the one.
        "CONN_MAX_AGE": 0 if MODE == "async" else None,
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
