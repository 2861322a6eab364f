"""The bookmarks app: ``fastcore run examples.tutorial.app:app``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from examples.tutorial.admin import admin
from examples.tutorial.api import api
from examples.tutorial.forms import BookmarkForm
from examples.tutorial.models import Bookmark
from fastcore import App, RedirectResponse, Request, Settings
from fastcore.auth import Auth, auth_routes, login_required
from fastcore.orm import Database

HERE = Path(__file__).parent

# --8<-- [start:setup]
app = App(settings=Settings.from_env(template_folders=[str(HERE / "templates")]))
database = Database()  # DATABASE_URL, else sqlite+aiosqlite:///./fastcore.sqlite3
database.init_app(app)  # request.db: one session per request
# --8<-- [end:setup]

# --8<-- [start:auth]
auth = Auth(site_name="Bookmarks")
auth.init_app(app)  # request.user; after database.init_app
app.include(auth_routes(auth))  # /accounts/login, /accounts/logout, /accounts/signup, ...
# --8<-- [end:auth]


# --8<-- [start:pages]
@app.get("/", name="index")
async def index(request: Request):
    """The home page: the newest bookmarks."""
    query = select(Bookmark).order_by(Bookmark.id.desc()).limit(50)
    bookmarks = (await request.db.scalars(query)).all()
    return app.render("index.html", bookmarks=bookmarks)


@app.route("/add", methods=["GET", "POST"], name="add")
@login_required
async def add(request: Request):
    """Show the form; on POST save the bookmark and go home, or show the errors."""
    form = await BookmarkForm.from_request(request)
    if form.is_valid():
        bookmark = await form.save(request.db)
        bookmark.owner_id = request.user.id
        return RedirectResponse(app.url_for("index"), status_code=303)
    return app.render("add.html", form=form, status_code=422 if form.is_bound else 200)


# --8<-- [end:pages]


# --8<-- [start:include]
app.include(api)  # the typed API under /api (part 5)
app.install(admin)  # the admin site under /admin (part 4)
# --8<-- [end:include]
