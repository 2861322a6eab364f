"""The admin site at /admin: staff users list, search and edit bookmarks."""

from __future__ import annotations

from examples.tutorial.models import Bookmark
from fastcore.admin import Admin, ModelAdmin

admin = Admin(title="Bookmarks admin")


@admin.register(Bookmark)
class BookmarkAdmin(ModelAdmin):
    """Bookmarks: newest first, searchable by title and address."""

    list_display = ["id", "title", "url", "owner_id", "created_at"]
    search_fields = ["title", "url"]
    ordering = ["-id"]
