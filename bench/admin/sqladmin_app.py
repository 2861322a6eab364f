"""sqladmin (on Starlette) over the same tables, for the same pages; no login (sqladmin's default).

Run: ``uvicorn bench.admin.sqladmin_app:app --port 8402 --workers 1`` in a venv with sqladmin.
"""

from __future__ import annotations

import enum

from sqladmin import Admin, ModelView
from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from starlette.applications import Starlette

SCHEMA = "bench_admin"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class Base(DeclarativeBase):
    pass


class Genre(enum.Enum):
    NOVEL = "novel"
    POETRY = "poetry"


class Author(Base):
    __tablename__ = "bench_authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))

    def __str__(self) -> str:
        return self.name


class Book(Base):
    __tablename__ = "bench_books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    genre: Mapped[Genre] = mapped_column(Enum(Genre, name="bench_genre"))
    published: Mapped[bool] = mapped_column(Boolean)
    author_id: Mapped[int] = mapped_column(ForeignKey("bench_authors.id"))
    author: Mapped[Author] = relationship()


engine = create_async_engine(
    PG_URL, connect_args={"server_settings": {"search_path": SCHEMA}}, pool_size=10
)
app = Starlette()
admin = Admin(app, engine)


class BookAdmin(ModelView, model=Book):
    column_list = [Book.title, Book.author, Book.genre, Book.published]
    column_searchable_list = [Book.title]
    column_default_sort = [(Book.id, False)]
    page_size = 100


class AuthorAdmin(ModelView, model=Author):
    column_list = [Author.id, Author.name]


admin.add_view(BookAdmin)
admin.add_view(AuthorAdmin)
