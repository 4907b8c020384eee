"""Reading the database behind a running bot, as a test checks what it stored: a connection on
an engine of its own, disposed afterwards, so the bot's pool is never touched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from bot.store.models import Base

M = TypeVar("M", bound=Base)


@asynccontextmanager
async def reading(database_url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def stored(database_url: str, model: type[M]) -> list[M]:
    """Every row of ``model``'s table, oldest first."""
    async with reading(database_url) as connection:
        session = AsyncSession(bind=connection)
        rows = await session.scalars(select(model).order_by(model.__table__.c.id))
        return list(rows)
