"""Reading stored rows straight from the database, as tests' source of truth."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.store.models import Base

Row = TypeVar("Row", bound=Base)


async def stored_rows(database_url: str, model: type[Row]) -> list[Row]:
    """Every row of ``model``'s table, oldest (lowest id) first."""
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            id_column = model.__table__.c.id  # type: ignore[attr-defined]
            return list(await session.scalars(select(model).order_by(id_column)))
    finally:
        await engine.dispose()
