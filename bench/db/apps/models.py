"""The World and Fortune tables as SQLAlchemy models, and the peers' ORM sessions."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench.db.apps.common import DSN, POOL_SIZE, SERVER_SETTINGS


class Base(DeclarativeBase):
    pass


class World(Base):
    __tablename__ = "world"

    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]


class Fortune(Base):
    __tablename__ = "fortune"

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


def peer_sessions() -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """An engine with the shared pool size and a session factory, as the ORM peers set up."""
    engine = create_async_engine(
        DSN.replace("postgresql://", "postgresql+asyncpg://", 1),
        pool_size=POOL_SIZE,
        max_overflow=0,
        connect_args={"server_settings": SERVER_SETTINGS},
    )
    return engine, async_sessionmaker(engine, expire_on_commit=False)
