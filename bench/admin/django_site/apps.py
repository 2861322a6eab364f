"""The benchmark's Django app (label ``bench``)."""

from __future__ import annotations

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "bench.admin.django_site"
    label = "bench"
