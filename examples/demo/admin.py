"""The demo's admin site at /admin: notes, users and groups, for staff users.

Create an account that may use it with
``fastcore createsuperuser --app examples.demo.app:app``, then log in at
http://127.0.0.1:8000/admin.
"""

from __future__ import annotations

from examples.demo.models import Note
from fastcore import App
from fastcore.admin import Admin, ModelAdmin

admin = Admin(title="fastcore demo admin")


@admin.register(Note)
class NoteAdmin(ModelAdmin):
    """Notes: newest first, searchable by their text."""

    list_display = ["id", "text", "created_at"]
    search_fields = ["text"]
    ordering = ["-id"]
    list_per_page = 25


def install_admin(app: App) -> None:
    """Add the admin pages (after the database and the accounts)."""
    app.install(admin)
