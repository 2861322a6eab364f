"""The labels of related rows (foreign key selects, filters, list cells) read as column tuples.

The labels must be exactly each object's ``__str__``, whether it reads plain
columns (answered from column tuples), an enum, or a relationship (which a
row without ORM state cannot answer: those models fall back to real objects).
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import Enum, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fastcore.admin.choices import choices_of, first_choices, labels_of
from fastcore.orm import IdMixin, Model
from fastcore.testing import TestClient
from tests.admin.conftest import Site
from tests.admin.support import Author, Book, Genre, Tag, build_app
from tests.orm.orm_support import Target


class Edition(IdMixin, Model):
    """A label that needs a relationship (loaded with the row) and an enum."""

    __tablename__ = "admin_test_editions"
    __app_label__ = "library"

    book_id: Mapped[int] = mapped_column(ForeignKey("admin_test_books.id", ondelete="CASCADE"))
    book: Mapped[Book] = relationship(lazy="joined")
    kind: Mapped[Genre] = mapped_column(Enum(Genre), default=Genre.NOVEL)
    note: Mapped[str] = mapped_column(String(20), default="")

    def __str__(self) -> str:
        return f"{self.book.title} ({self.kind.value}) {self.note}"


def test_labels_are_each_rows_str(target: Target) -> None:
    app, _ = build_app(target)
    with TestClient(app) as client:
        ids = Site(client).make_authors(
            {"name": "Ann", "books": ["Alpha", "Beta"]}, {"name": "Bob <b>", "books": ["Gamma"]}
        )

    async def check() -> None:
        database = target.database(metadata=Model.metadata)
        await database.connect()
        try:
            async with database.session() as session:
                # Plain columns: answered from column tuples.
                assert await choices_of(session, Author, 10) == [
                    (ids[0], "Ann"),
                    (ids[1], "Bob <b>"),
                ]
                assert await choices_of(session, Author, 1) is None  # past the limit
                assert await first_choices(session, Author, 1) == [(ids[0], "Ann")]
                assert await labels_of(session, Author, [ids[1], None, ids[1]]) == {
                    ids[1]: "Bob <b>"
                }
                assert await labels_of(session, Author, []) == {}
                # No __str__ of its own: model name and key.
                tag = Tag(label="x")
                session.add(tag)
                await session.flush()
                assert await choices_of(session, Tag, 5) == [(tag.id, f"Tag {tag.id}")]
                assert isinstance(tag.id, uuid.UUID)
                # A __str__ reading a relationship: real objects, the same label.
                books = {book.title: book.id for book in await session.scalars(select(Book))}
                session.add_all(
                    [
                        Edition(book_id=books["Alpha"], kind=Genre.POETRY, note="first"),
                        Edition(book_id=books["Gamma"], note="second"),
                    ]
                )
                await session.flush()
                labels = [label for _, label in await choices_of(session, Edition, 10) or []]
                assert labels == ["Alpha (poetry) first", "Gamma (novel) second"]
                again = await labels_of(
                    session, Edition, [key for key, _ in await first_choices(session, Edition, 1)]
                )
                assert list(again.values()) == ["Alpha (poetry) first"]

        finally:
            await database.disconnect()

    asyncio.run(check())
