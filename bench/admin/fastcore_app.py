"""fastcore's admin over the benchmark tables, with its full security stack and a superuser.

Run: ``fastcore run bench.admin.fastcore_app:app --port 8401 --workers 1``.
"""

from __future__ import annotations

from sqlalchemy import select, text

from bench.admin.models import PG_URL, SCHEMA, Author, Book
from fastcore import App, Settings
from fastcore.admin import Admin, ModelAdmin
from fastcore.auth import Auth, auth_routes, set_password
from fastcore.orm import Database
from fastcore.security import default_middleware

SECRET = "bench-admin-secret-0123456789abcdefghijklmnopqrstuvwxyz"
USERNAME, PASSWORD = "bench", "plum orbit canyon 77"

app = App(
    settings=Settings(debug=False),
    middleware=default_middleware(
        secret_key=SECRET, debug=False, allowed_hosts=["127.0.0.1", "localhost"]
    ),
)
database = Database(
    PG_URL, engine_options={"connect_args": {"server_settings": {"search_path": SCHEMA}}}
)
database.init_app(app)
auth = Auth(secret_key=SECRET)
auth.init_app(app)
app.include(auth_routes(auth))
admin = Admin(title="Bench admin")


@admin.register(Book)
class BookAdmin(ModelAdmin):
    list_display = ["title", "author", "genre", "published"]
    search_fields = ["title"]
    ordering = ["id"]
    list_per_page = 100


admin.register(Author)
app.install(admin)


@app.on_startup
async def setup() -> None:
    """The auth and log tables, and the superuser the benchmark logs in as."""
    await database.create_all()
    async with database.session() as session:
        await session.execute(text("SELECT 1"))
        user = await session.scalar(
            select(auth.user_model).where(auth.user_model.username == USERNAME)
        )
        if user is None:
            user = auth.user_model(username=USERNAME, is_staff=True, is_superuser=True)
            await set_password(auth, user, PASSWORD)
            session.add(user)
