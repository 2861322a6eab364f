"""The auth tables: users, groups, permissions and API tokens.

An app adds its own fields to users by subclassing :class:`User` into the
same table (single-table inheritance; new columns need a default or must be
nullable, and a migration adds them)::

    class Member(User):
        __tablename__ = None             # the same table, auth_users
        display_name: Mapped[str | None] = mapped_column(String(100), default=None)

    auth = Auth(user_model=Member)

Permissions are named ``"<app_label>.<action>_<model>"`` (``"notes.change_note"``);
:func:`fastcore.auth.permissions.create_permissions` creates the four
actions (add, change, delete, view) for every model.
"""

from __future__ import annotations

import datetime
import hashlib

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fastcore.orm.models import IdMixin, Model, UTCDateTime, utcnow

__all__ = [
    "USER_TABLE",
    "APIToken",
    "AbstractUser",
    "AnonymousUser",
    "Group",
    "Permission",
    "User",
    "group_permissions",
    "user_groups",
    "user_permissions",
]

#: The user table's name; every auth table's foreign keys point at it.
USER_TABLE = "auth_users"


class AbstractUser(IdMixin, Model):
    """The user columns and behaviour, shared by :class:`User` and its subclasses.

    Attributes:
        username: Unique login name (150 characters at most).
        email: Optional address (password resets are sent there).
        password: The argon2id hash ("" for a user who cannot log in).
        is_active: Inactive users cannot log in.
        is_staff: May use staff-only pages (``@staff_required``, the admin).
        is_superuser: Has every permission.
        last_login: The time of the last login (None before the first).
        date_joined: When the account was created.
    """

    __abstract__ = True
    __tablename__ = USER_TABLE

    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True, default=None)
    password: Mapped[str] = mapped_column(String(255), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime(), default=None)
    date_joined: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    #: Always True for a real user (False on :class:`AnonymousUser`).
    is_authenticated = True
    is_anonymous = False

    def session_hash(self) -> str:
        """A digest of the password hash, kept in the session.

        A password change alters it, which ends every other session of the
        user (their stored digest no longer matches).
        """
        return hashlib.sha256(b"fastcore.auth.session:" + self.password.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.username!r}>"


class User(AbstractUser):
    """The user model (table ``auth_users``); subclass it to add fields."""


class AnonymousUser:
    """The user of a request that is not logged in."""

    id = None
    username = ""
    email = None
    is_active = False
    is_staff = False
    is_superuser = False
    is_authenticated = False
    is_anonymous = True

    def __repr__(self) -> str:
        return "<AnonymousUser>"

    def __bool__(self) -> bool:
        return False


class Permission(IdMixin, Model):
    """A permission such as ``notes.change_note`` (``app_label.codename``)."""

    __tablename__ = "auth_permissions"
    __table_args__ = (UniqueConstraint("app_label", "codename"),)

    app_label: Mapped[str] = mapped_column(String(100))
    codename: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))

    @property
    def full_name(self) -> str:
        """``"app_label.codename"``, the form the decorators take."""
        return f"{self.app_label}.{self.codename}"

    def __repr__(self) -> str:
        return f"<Permission {self.full_name}>"


class Group(IdMixin, Model):
    """A named set of permissions given to users together."""

    __tablename__ = "auth_groups"

    name: Mapped[str] = mapped_column(String(150), unique=True)

    def __repr__(self) -> str:
        return f"<Group {self.name!r}>"


group_permissions = Table(
    "auth_group_permissions",
    Model.metadata,
    Column("group_id", ForeignKey("auth_groups.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "permission_id", ForeignKey("auth_permissions.id", ondelete="CASCADE"), primary_key=True
    ),
)

user_groups = Table(
    "auth_user_groups",
    Model.metadata,
    Column("user_id", ForeignKey(f"{USER_TABLE}.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("auth_groups.id", ondelete="CASCADE"), primary_key=True),
)

user_permissions = Table(
    "auth_user_permissions",
    Model.metadata,
    Column("user_id", ForeignKey(f"{USER_TABLE}.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "permission_id", ForeignKey("auth_permissions.id", ondelete="CASCADE"), primary_key=True
    ),
)


class APIToken(IdMixin, Model):
    """An API token: only its SHA-256 digest is stored, never the token itself."""

    __tablename__ = "auth_api_tokens"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(f"{USER_TABLE}.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: Space-separated scopes (``"notes:read notes:write"``).
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime(), default=None)
    expires_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes as a set."""
        return frozenset(self.scopes.split())
