"""The bookmarks API: typed handlers, validated by their hints, documented at /docs."""

from __future__ import annotations

import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from examples.tutorial.models import Bookmark
from fastcore import Depends, HTTPException, Query, RouteGroup
from fastcore.auth import User, require_user

api = RouteGroup("/api", name="api")


class BookmarkIn(BaseModel):
    """A bookmark to save."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=500, pattern=r"^https?://[^/\s]+")
    title: str = Field(min_length=1, max_length=200)


class BookmarkOut(BaseModel):
    """A saved bookmark."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    title: str
    created_at: datetime.datetime


@api.get("/bookmarks", response_model=list[BookmarkOut], tags=["bookmarks"])
async def list_bookmarks(
    db: AsyncSession,
    limit: Annotated[int, Query(ge=1, le=100, description="How many, newest first")] = 20,
):
    """List the newest bookmarks."""
    rows = await db.scalars(select(Bookmark).order_by(Bookmark.id.desc()).limit(limit))
    return list(rows)


@api.get("/bookmarks/{bookmark_id:int}", response_model=BookmarkOut, tags=["bookmarks"])
async def get_bookmark(bookmark_id: int, db: AsyncSession):
    """Fetch one bookmark (404 if there is none with this id)."""
    bookmark = await db.get(Bookmark, bookmark_id)
    if bookmark is None:
        raise HTTPException(404, f"No bookmark {bookmark_id}")
    return bookmark


@api.post("/bookmarks", response_model=BookmarkOut, status_code=201, tags=["bookmarks"])
async def create_bookmark(
    bookmark: BookmarkIn,
    db: AsyncSession,
    user: Annotated[User, Depends(require_user)],
):
    """Save a bookmark for the logged-in user (a session or an API token)."""
    saved = Bookmark(url=bookmark.url, title=bookmark.title, owner_id=user.id)
    db.add(saved)
    await db.flush()  # saved.id is set now
    return saved
