"""The benchmark tables: 100 authors, 10,000 books (title, Enum, flag, foreign key)."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fastcore.orm import IdMixin, Model

SCHEMA = "bench_admin"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class Genre(enum.Enum):
    NOVEL = "novel"
    POETRY = "poetry"


class Author(IdMixin, Model):
    __tablename__ = "bench_authors"
    __app_label__ = "bench"

    name: Mapped[str] = mapped_column(String(100))

    def __str__(self) -> str:
        return self.name


class Book(IdMixin, Model):
    __tablename__ = "bench_books"
    __app_label__ = "bench"

    title: Mapped[str] = mapped_column(String(200), index=True)
    genre: Mapped[Genre] = mapped_column(Enum(Genre, name="bench_genre"), default=Genre.NOVEL)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("bench_authors.id"), index=True)
    author: Mapped[Author] = relationship()

    def __str__(self) -> str:
        return self.title
