"""The demo's data: notes, stored in a SQLite file that needs no setup."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fastcore.orm import IdMixin, Model, TimestampMixin

#: The longest note the form accepts.
MAX_NOTE_LENGTH = 500


class Note(IdMixin, TimestampMixin, Model):
    """A short text note."""

    __tablename__ = "notes"

    text: Mapped[str] = mapped_column(String(MAX_NOTE_LENGTH))
