"""The benchmark's Django app (label ``bench_db``)."""

from __future__ import annotations

from django.apps import AppConfig


class BenchDbConfig(AppConfig):
    name = "bench.db.apps.django_site"
    label = "bench_db"
