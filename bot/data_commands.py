"""The operator's data commands: ``python -m bot usage`` and ``python -m bot forget-user``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.privacy.forget import forget_user
from bot.store.db import create_engine, create_session_factory
from bot.usage.ledger import Clock, utc_now
from bot.usage.prices import PriceTable
from bot.usage.report import render_csv, render_table, report_rows, usage_sums


@asynccontextmanager
async def _sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url, pool_size=1, max_overflow=0)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def usage_command(
    settings: Settings, *, period: timedelta, by: str, as_csv: bool, clock: Clock = utc_now
) -> str:
    """The usage report over the last ``period``, grouped ``by`` user, channel, model or day."""
    since = clock() - period
    async with _sessions(settings) as sessions:
        sums = await usage_sums(sessions, since, by)
    rows = report_rows(sums, PriceTable(settings.model_prices))
    return render_csv(rows, by) if as_csv else render_table(rows, by, since)


async def forget_user_command(settings: Settings, user_id: str) -> str:
    async with _sessions(settings) as sessions:
        removed = await forget_user(sessions, user_id)
    if not any(removed.values()):
        return f"Nothing was stored from or about {user_id}."
    lines = [f"Removed for {user_id}:"]
    lines += [f"  {what}: {count}" for what, count in removed.items()]
    return "\n".join(lines)
