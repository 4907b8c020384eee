"""Reading the usage ledger straight from the database, as the tests' source of truth."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.store.models import UsageRecord


async def usage_rows(database_url: str) -> list[UsageRecord]:
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session:
            return list(await session.scalars(select(UsageRecord).order_by(UsageRecord.id)))
    finally:
        await engine.dispose()
