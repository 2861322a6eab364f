"""Async views under /async, sync views under /sync (each server is sent to its own)."""

from __future__ import annotations

from django.urls import path

from bench.db.apps.django_site import views

urlpatterns = [
    path("async/db", views.async_db),
    path("async/queries", views.async_queries),
    path("async/updates", views.async_updates),
    path("async/fortunes", views.async_fortunes),
    path("sync/db", views.sync_db),
    path("sync/queries", views.sync_queries),
    path("sync/updates", views.sync_updates),
    path("sync/fortunes", views.sync_fortunes),
]
