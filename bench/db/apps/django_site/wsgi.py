"""The WSGI application (``gunicorn bench.db.apps.django_site.wsgi:application``)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.db.apps.django_site.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402  (after the settings module)

application = get_wsgi_application()
