"""The built-in bulk action: delete the selected objects, after a confirmation page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastcore.admin.options import action

if TYPE_CHECKING:
    from fastcore.admin.options import ModelAdmin
    from fastcore.requests import Request
    from fastcore.responses import Response

__all__ = ["delete_selected"]


@action(description="Delete selected", permissions=("delete",))
async def delete_selected(
    model_admin: ModelAdmin, request: Request, objects: list[Any]
) -> Response | None:
    """Show what would go (first POST), then delete once confirmed (``post=yes``)."""
    from fastcore.admin.views import confirm_bulk_delete, log_deletion

    form = await request.form()
    if form.get("post") != "yes":
        return await confirm_bulk_delete(model_admin, request, objects)
    for obj in objects:
        await log_deletion(model_admin, request, obj)
        await model_admin.delete_model(request, obj)
    return None
