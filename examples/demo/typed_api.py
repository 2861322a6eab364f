"""The demo's typed JSON API: notes through validated arguments and response models.

Everything a client can send is declared in the signatures, so the same hints
validate requests (422 with the error list), shape responses and write the
OpenAPI document served at ``/openapi.json`` (Swagger UI at ``/docs``).
"""

from __future__ import annotations

import datetime
import enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from examples.demo.models import MAX_NOTE_LENGTH, Note
from fastcore import Body, Depends, HTTPException, Path, Query, RouteGroup
from fastcore.middleware.csrf import csrf_exempt

__all__ = ["notes_api"]

#: Under /api/v1; route names start with "notes_api.".
notes_api = RouteGroup("/api/v1", name="notes_api")

NOT_FOUND = {404: {"description": "No note with this id"}}


class Order(enum.Enum):
    """The order of a note listing."""

    NEWEST = "newest"
    OLDEST = "oldest"


class NoteIn(BaseModel):
    """A note to store."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_NOTE_LENGTH, pattern=r"\S")


class NoteOut(BaseModel):
    """A stored note."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    created_at: datetime.datetime


class NotePage(BaseModel):
    """One page of notes and the total count."""

    items: list[NoteOut]
    total: int
    offset: int
    limit: int


class Paging(BaseModel):
    """Where a listing starts and how long it is."""

    offset: int
    limit: int


def paging(
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Notes to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Notes per page")] = 20,
) -> Paging:
    """The listing window, shared by every paginated endpoint."""
    return Paging(offset=offset, limit=limit)


async def note_or_404(db: AsyncSession, note_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Note:
    """The note named by the path, or 404."""
    note = await db.get(Note, note_id)
    if note is None:
        raise HTTPException(404, f"No note {note_id}")
    return note


@notes_api.get("/notes", response_model=NotePage, tags=["notes"])
async def list_notes(
    db: AsyncSession,
    window: Annotated[Paging, Depends(paging)],
    order: Order = Order.NEWEST,
    contains: Annotated[str | None, Query(max_length=100)] = None,
):
    """List notes, newest first by default.

    ``contains`` keeps the notes whose text contains it (case-sensitive).
    """
    query = select(Note)
    if contains:
        query = query.where(Note.text.contains(contains, autoescape=True))
    total = await db.scalar(select(func.count()).select_from(query.subquery()))
    ordering = Note.id.desc() if order is Order.NEWEST else Note.id.asc()
    rows = await db.scalars(query.order_by(ordering).offset(window.offset).limit(window.limit))
    return {"items": list(rows), "total": total or 0, **window.model_dump()}


@notes_api.get("/notes/{note_id:int}", response_model=NoteOut, tags=["notes"], responses=NOT_FOUND)
async def get_note(note: Annotated[Note, Depends(note_or_404)]):
    """Fetch one note."""
    return note


@notes_api.post("/notes", response_model=NoteOut, status_code=201, tags=["notes"])
@csrf_exempt  # JSON only (415 otherwise): a cross-site form cannot send it without CORS
async def create_note(note: NoteIn, db: AsyncSession):
    """Store a note."""
    stored = Note(text=note.text.strip())
    db.add(stored)
    await db.flush()
    return stored


@notes_api.patch(
    "/notes/{note_id:int}", response_model=NoteOut, tags=["notes"], responses=NOT_FOUND
)
@csrf_exempt  # a cross-site page cannot send PATCH without a CORS preflight
async def rename_note(
    note: Annotated[Note, Depends(note_or_404)],
    text: Annotated[str, Body(embed=True, min_length=1, max_length=MAX_NOTE_LENGTH, pattern=r"\S")],
):
    """Replace a note's text."""
    note.text = text.strip()
    return note


@notes_api.delete("/notes/{note_id:int}", status_code=204, tags=["notes"], responses=NOT_FOUND)
@csrf_exempt  # a cross-site page cannot send DELETE without a CORS preflight
async def delete_note(note: Annotated[Note, Depends(note_or_404)], db: AsyncSession):
    """Delete a note."""
    await db.delete(note)
