"""The admin's own table: one log entry per add, change or delete made through it."""

from __future__ import annotations

import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fastcore.auth.models import USER_TABLE
from fastcore.orm.models import IdMixin, Model, UTCDateTime, utcnow

__all__ = ["ADDITION", "CHANGE", "DELETION", "LogEntry"]

ADDITION = "add"
CHANGE = "change"
DELETION = "delete"


class LogEntry(IdMixin, Model):
    """Who did what to which object, and when (table ``admin_log``).

    Attributes:
        action_time: When the action was taken (UTC).
        user_id: The user who took it (NULL once that user is deleted).
        username: The user's name at the time, kept when the user goes.
        model: The model's ``app_label.modelname``.
        object_id: The object's primary key as the admin's URLs spell it.
        object_repr: How the object read at the time.
        action: ``"add"``, ``"change"`` or ``"delete"``.
        changes: For a change, a JSON object ``{field: [old, new]}``.
    """

    __tablename__ = "admin_log"

    action_time: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey(f"{USER_TABLE}.id", ondelete="SET NULL"), default=None, index=True
    )
    username: Mapped[str] = mapped_column(String(150), default="")
    model: Mapped[str] = mapped_column(String(200), index=True)
    object_id: Mapped[str] = mapped_column(String(500))
    object_repr: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(10))
    changes: Mapped[str] = mapped_column(Text, default="")
