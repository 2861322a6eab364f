"""Permissions: creating the per-model set, and asking whether a user has one.

``create_permissions`` makes ``add``, ``change``, ``delete`` and ``view``
permissions for every model, named ``"<app_label>.<action>_<model>"``. The
app label is the model's ``__app_label__``, or else the package its module is
in (``examples.demo.models.Note`` → ``demo``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, union

from fastcore.auth.models import (
    Group,
    Permission,
    group_permissions,
    user_groups,
    user_permissions,
)
from fastcore.orm.models import Model

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fastcore.auth.models import AbstractUser, AnonymousUser
    from fastcore.requests import Request

__all__ = [
    "ACTIONS",
    "add_permission",
    "add_to_group",
    "create_permissions",
    "get_permissions",
    "has_perm",
    "model_permissions",
]

ACTIONS = ("add", "change", "delete", "view")


def _app_label(model: type[Any]) -> str:
    label = getattr(model, "__app_label__", None)
    if isinstance(label, str) and label:
        return label
    parts = model.__module__.split(".")
    if len(parts) > 1 and parts[-1] == "models":
        return parts[-2]
    return parts[-1]


def model_permissions(model: type[Any]) -> list[tuple[str, str, str]]:
    """The ``(app_label, codename, name)`` of a model's four permissions."""
    label, model_name = _app_label(model), model.__name__.lower()
    return [
        (label, f"{action}_{model_name}", f"Can {action} {model.__name__}") for action in ACTIONS
    ]


def _all_models() -> list[type[Any]]:
    models = [mapper.class_ for mapper in Model.registry.mappers]
    return sorted(models, key=lambda model: (model.__module__, model.__name__))


async def create_permissions(
    db: AsyncSession, models: Iterable[type[Any]] | None = None
) -> list[Permission]:
    """Create the missing permissions of ``models`` (every mapped model by default).

    Returns the permissions created; running it again creates none.
    """
    wanted: dict[tuple[str, str], str] = {}
    for model in _all_models() if models is None else models:
        for label, codename, name in model_permissions(model):
            wanted[(label, codename)] = name
    existing = {
        (row.app_label, row.codename)
        for row in (await db.execute(select(Permission.app_label, Permission.codename))).all()
    }
    created = [
        Permission(app_label=label, codename=codename, name=name)
        for (label, codename), name in wanted.items()
        if (label, codename) not in existing
    ]
    db.add_all(created)
    await db.flush()
    return created


async def get_permission(db: AsyncSession, full_name: str) -> Permission | None:
    """The permission called ``"app_label.codename"``, or None."""
    label, _, codename = full_name.partition(".")
    return await db.scalar(
        select(Permission).where(Permission.app_label == label, Permission.codename == codename)
    )


async def add_permission(db: AsyncSession, holder: AbstractUser | Group, full_name: str) -> None:
    """Give a user or a group the permission ``"app_label.codename"``.

    Raises:
        LookupError: No such permission (run ``create_permissions`` first).
    """
    permission = await get_permission(db, full_name)
    if permission is None:
        raise LookupError(f"no permission {full_name!r}: run create_permissions first")
    if isinstance(holder, Group):
        statement = group_permissions.insert().values(group_id=holder.id)
    else:
        statement = user_permissions.insert().values(user_id=holder.id)
    await db.execute(statement.values(permission_id=permission.id))


async def add_to_group(db: AsyncSession, user: AbstractUser, group: Group) -> None:
    """Make ``user`` a member of ``group`` (and so give it the group's permissions)."""
    await db.execute(user_groups.insert().values(user_id=user.id, group_id=group.id))


async def get_permissions(db: AsyncSession, user: AbstractUser) -> frozenset[str]:
    """Every permission of ``user``, given directly or through a group (one query)."""
    direct = select(user_permissions.c.permission_id).where(user_permissions.c.user_id == user.id)
    via_groups = (
        select(group_permissions.c.permission_id)
        .join(user_groups, user_groups.c.group_id == group_permissions.c.group_id)
        .where(user_groups.c.user_id == user.id)
    )
    ids = union(direct, via_groups).subquery()
    rows = await db.execute(
        select(Permission.app_label, Permission.codename).where(Permission.id.in_(select(ids)))
    )
    return frozenset(f"{label}.{codename}" for label, codename in rows.all())


async def has_perm(
    request: Request, permission: str, user: AbstractUser | AnonymousUser | None = None
) -> bool:
    """Tell whether the request's user (or ``user``) has ``permission``.

    Active superusers have every permission; inactive and anonymous users
    none. The user's permissions are read once per request.
    """
    if user is None:
        user = request.user
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cache: dict[Any, frozenset[str]] = request.state.__dict__.setdefault("auth_permissions", {})
    granted = cache.get(user.id)
    if granted is None:
        granted = cache[user.id] = await get_permissions(request.db, user)  # type: ignore[arg-type]
    return permission in granted
