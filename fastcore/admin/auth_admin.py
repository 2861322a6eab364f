"""fastcore.auth's users and groups in the admin (the password hash is never shown)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from fastcore.admin.options import ModelAdmin
from fastcore.auth.backends import set_password
from fastcore.auth.config import get_auth
from fastcore.auth.models import Group, User
from fastcore.auth.validators import validate_password
from fastcore.forms.fields import CharField
from fastcore.forms.validators import ValidationError
from fastcore.forms.widgets import PasswordInput

if TYPE_CHECKING:
    from fastcore.admin.site import Admin
    from fastcore.forms.forms import Form
    from fastcore.requests import Request

__all__ = ["GroupAdmin", "UserAdmin", "register_auth_models"]


class UserAdmin(ModelAdmin):
    """Users: the hash stays hidden; a new password is typed and hashed on save."""

    list_display: ClassVar[list[str]] = [
        "username",
        "email",
        "is_staff",
        "is_superuser",
        "is_active",
    ]
    search_fields: ClassVar[list[str]] = ["username", "email"]
    list_filter: ClassVar[list[str]] = ["is_staff", "is_superuser", "is_active"]
    ordering: ClassVar[list[str]] = ["username"]
    exclude: ClassVar[list[str]] = ["password"]
    readonly_fields: ClassVar[list[str]] = ["last_login", "date_joined"]

    def extra_form_fields(self) -> Mapping[str, Any]:
        """A write-only password field (left empty, the password stays as it is)."""
        return {
            "new_password": CharField(
                required=False,
                widget=PasswordInput(),
                max_length=4096,
                help_text="Leave empty to keep the current password.",
            )
        }

    async def save_model(self, request: Request, obj: Any, form: Form, adding: bool) -> None:
        """Hash the new password through the app's hasher, after its validators."""
        password = form.cleaned_data.get("new_password") or ""
        if password:
            auth = get_auth(request)
            problems = validate_password(
                password, username=obj.username, email=obj.email or "", validators=auth.validators
            )
            if problems:
                raise ValidationError(problems)
            await set_password(auth, obj, password)
        await super().save_model(request, obj, form, adding)


class GroupAdmin(ModelAdmin):
    """Groups, by name."""

    list_display: ClassVar[list[str]] = ["name"]
    search_fields: ClassVar[list[str]] = ["name"]
    ordering: ClassVar[list[str]] = ["name"]


def register_auth_models(admin: Admin) -> None:
    """Register users and groups unless the app registered them already."""
    if User not in admin.registry:
        admin.register(User, UserAdmin)
    if Group not in admin.registry:
        admin.register(Group, GroupAdmin)
