"""The test app for tests/admin: models with a foreign key, an Enum, a UUID key, a
composite key and a cascade, behind the security stack, auth and the admin."""

from __future__ import annotations

import datetime
import enum
import re
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Enum, ForeignKey, Integer, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fastcore import App, Request, Settings
from fastcore.admin import Admin, ModelAdmin, TabularInline, action
from fastcore.auth import Auth, add_permission, auth_routes, create_permissions, set_password
from fastcore.auth.hashers import TEST_HASHER
from fastcore.middleware.csrf import csrf_exempt
from fastcore.orm import IdMixin, Model, UTCDateTime
from fastcore.security import default_middleware
from tests.orm.orm_support import Target

SECRET = "test-secret-key-for-admin-tests-0123456789abcdef"
PASSWORD = "correct horse battery staple"


class Genre(enum.Enum):
    NOVEL = "novel"
    POETRY = "poetry"
    ESSAY = "essay"


class Author(IdMixin, Model):
    __tablename__ = "admin_test_authors"
    __app_label__ = "library"

    name: Mapped[str] = mapped_column(String(100))
    books: Mapped[list[Book]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/authors/{self.id}"


book_topics = Table(
    "admin_test_book_topics",
    Model.metadata,
    Column("book_id", ForeignKey("admin_test_books.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("admin_test_topics.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(IdMixin, Model):
    """Books have many topics, through admin_test_book_topics."""

    __tablename__ = "admin_test_topics"
    __app_label__ = "library"

    name: Mapped[str] = mapped_column(String(50))

    def __str__(self) -> str:
        return self.name


class Book(IdMixin, Model):
    __tablename__ = "admin_test_books"
    __app_label__ = "library"

    title: Mapped[str] = mapped_column(String(200))
    genre: Mapped[Genre] = mapped_column(Enum(Genre), default=Genre.NOVEL)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    pages: Mapped[int | None] = mapped_column(Integer, default=None)
    added_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime(), default=None)
    author_id: Mapped[int] = mapped_column(
        ForeignKey("admin_test_authors.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[Author] = relationship(back_populates="books")
    topics: Mapped[list[Topic]] = relationship(secondary=book_topics)

    def __str__(self) -> str:
        return self.title


class Tag(Model):
    """A UUID primary key generated in Python."""

    __tablename__ = "admin_test_tags"
    __app_label__ = "library"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    label: Mapped[str] = mapped_column(String(50))


class Gadget(IdMixin, Model):
    """A JSON document and a UUID that is not a key."""

    __tablename__ = "admin_test_gadgets"
    __app_label__ = "library"

    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    serial: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None, nullable=True)


class Shelf(Model):
    """A composite natural key."""

    __tablename__ = "admin_test_shelves"
    __app_label__ = "library"

    room: Mapped[str] = mapped_column(String(20), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    capacity: Mapped[int] = mapped_column(Integer, default=10)


class Review(IdMixin, Model):
    """Refers to a book with no cascade: a reviewed book cannot be deleted."""

    __tablename__ = "admin_test_reviews"
    __app_label__ = "library"

    book_id: Mapped[int] = mapped_column(ForeignKey("admin_test_books.id"), index=True)
    text: Mapped[str] = mapped_column(String(100), default="")

    def __str__(self) -> str:
        return self.text


class BookAdmin(ModelAdmin):
    list_display = ["title", "author", "genre", "published", "shout"]
    list_display_links = ["title"]
    search_fields = ["title", "pages"]
    list_filter = ["published", "genre", "author_id", "added_at"]
    ordering = ["title"]
    list_per_page = 5
    readonly_fields = ["pages"]
    actions = []

    def shout(self, book: Book) -> str:
        return book.title.upper()

    shout.short_description = "Loud title"  # type: ignore[attr-defined]


@action(description="Mark published", permissions=("change",))
async def publish(model_admin: ModelAdmin, request: Request, objects: list[Any]) -> None:
    for book in objects:
        book.published = True


BookAdmin.actions = [publish]


class BookInline(TabularInline):
    model = Book
    fields = ["title", "genre", "published"]
    extra = 2


class AuthorAdmin(ModelAdmin):
    search_fields = ["name"]
    inlines = [BookInline]


class TopicAdmin(ModelAdmin):
    search_fields = ["name"]


MODELS = [Author, Book, Tag, Shelf, Gadget, Topic]


def build_app(
    target: Target,
    book_admin: type[ModelAdmin] = BookAdmin,
    author_admin: type[ModelAdmin] = AuthorAdmin,
    templates: str | None = None,
    **admin_options: Any,
) -> tuple[App, Admin]:
    """The app every admin test drives."""
    app = App(
        settings=Settings(debug=False, **({"template_folders": [templates]} if templates else {})),
        middleware=default_middleware(
            secret_key=SECRET, debug=False, allowed_hosts=["testserver", "127.0.0.1"]
        ),
    )
    database = target.database(metadata=Model.metadata)
    database.init_app(app)
    auth = Auth(secret_key=SECRET, hasher=TEST_HASHER)
    auth.init_app(app)
    app.include(auth_routes(auth))
    admin = Admin(title="Library admin", **admin_options)
    admin.register(Author, author_admin)
    admin.register(Book, book_admin)
    admin.register(Topic, TopicAdmin)
    admin.register(Tag)
    admin.register(Shelf)
    admin.register(Gadget)
    app.install(admin)

    @app.on_startup
    async def create_tables() -> None:
        await database.create_all()
        async with database.session() as session:
            await create_permissions(session, [*MODELS, *_auth_models()])

    @app.post("/test/users")
    @csrf_exempt
    async def make_user(request: Request) -> dict[str, Any]:
        """Test setup: a user with permissions."""
        data = await request.json()
        user = auth.user_model(
            username=data["username"],
            is_staff=data.get("is_staff", True),
            is_superuser=data.get("is_superuser", False),
        )
        await set_password(auth, user, PASSWORD)
        request.db.add(user)
        await request.db.flush()
        for permission in data.get("permissions", ()):
            await add_permission(request.db, user, permission)
        return {"id": user.id}

    @app.post("/test/authors")
    @csrf_exempt
    async def make_authors(request: Request) -> dict[str, Any]:
        """Test setup: authors with books."""
        data = await request.json()
        ids = []
        for entry in data:
            author = Author(name=entry["name"])
            author.books = [
                Book(
                    title=title,
                    genre=Genre.NOVEL,
                    pages=entry.get("pages", {}).get(title),
                    added_at=_days_ago(entry.get("added_days_ago", {}).get(title)),
                )
                for title in entry.get("books", [])
            ]
            request.db.add(author)
            await request.db.flush()
            for book in author.books:
                if book.title in entry.get("reviewed", ()):
                    request.db.add(Review(book_id=book.id, text=f"on {book.title}"))
            ids.append(author.id)
        return {"ids": ids}

    @app.post("/test/topics")
    @csrf_exempt
    async def make_topics(request: Request) -> dict[str, Any]:
        """Test setup: topics by name."""
        topics = [Topic(name=name) for name in await request.json()]
        request.db.add_all(topics)
        await request.db.flush()
        return {"ids": [topic.id for topic in topics]}

    return app, admin


def _days_ago(days: int | None) -> datetime.datetime | None:
    if days is None:
        return None
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)


def _auth_models() -> list[type[Any]]:
    from fastcore.auth import Group, User

    return [User, Group]


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    match = _CSRF.search(html)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)
