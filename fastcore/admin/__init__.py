"""The admin site: list, search, add, change and delete the app's models, with history.

::

    from fastcore.admin import Admin, ModelAdmin

    admin = Admin(title="Notes admin")

    @admin.register(Note)
    class NoteAdmin(ModelAdmin):
        list_display = ["id", "text", "author"]
        search_fields = ["text"]

    app.install(admin)          # after Database.init_app(app) and Auth().init_app(app)

See docs/admin.md.
"""

from __future__ import annotations

from fastcore.admin.inlines import InlineModelAdmin as InlineModelAdmin
from fastcore.admin.inlines import StackedInline as StackedInline
from fastcore.admin.inlines import TabularInline as TabularInline
from fastcore.admin.models import LogEntry as LogEntry
from fastcore.admin.options import ModelAdmin as ModelAdmin
from fastcore.admin.options import action as action
from fastcore.admin.site import Admin as Admin

__all__ = [
    "Admin",
    "InlineModelAdmin",
    "LogEntry",
    "ModelAdmin",
    "StackedInline",
    "TabularInline",
    "action",
]
