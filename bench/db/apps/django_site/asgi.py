"""The ASGI application (``uvicorn bench.db.apps.django_site.asgi:application``)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.db.apps.django_site.settings")

from django.core.asgi import get_asgi_application  # noqa: E402  (after the settings module)

application = get_asgi_application()
