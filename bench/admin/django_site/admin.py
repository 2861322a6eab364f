"""The same admin options as bench/admin/fastcore_app.py, through Django's public API."""

from __future__ import annotations

from django.contrib import admin

from bench.admin.django_site.models import Author, Book


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "genre", "published"]
    search_fields = ["title"]
    ordering = ["id"]
    list_per_page = 100


admin.site.register(Author)
