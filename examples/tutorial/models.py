"""The bookmarks app's data: one table of saved links."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fastcore.orm import IdMixin, Model, TimestampMixin


class Bookmark(IdMixin, TimestampMixin, Model):
    """A saved link: where it points and what to call it."""

    __tablename__ = "bookmarks"

    url: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(200))
    # --8<-- [start:owner]
    # Who saved it (part 3); null for bookmarks saved before accounts existed.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"), default=None)
    # --8<-- [end:owner]
