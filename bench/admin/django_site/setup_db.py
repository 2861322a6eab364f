"""Create Django's tables (in bench_admin_django) and the superuser the benchmark logs in as."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.admin.django_site.settings")

from bench.admin.django_site import PASSWORD, USERNAME


def main() -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    user_model = get_user_model()
    if not user_model.objects.filter(username=USERNAME).exists():
        user_model.objects.create_superuser(USERNAME, "bench@example.com", PASSWORD)


if __name__ == "__main__":
    main()
