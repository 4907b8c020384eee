"""Shared by the reliability tests: a migrated PostgreSQL database (skipped without one) and
small helpers for asking the bot, and the database behind it, what happened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.migrate import upgrade_to_head
from bot.store.models import InboxItem, Message
from tests.conftest import POSTGRES_URL, RunningBot, _postgres_database
from tests.db_reads import reading, stored
from tests.fakes.slack_requests import event_body, mention_event, new_ts


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database migrated to head, for tests that need several replicas."""
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL not set")
    for url in _postgres_database():
        upgrade_to_head(url)
        yield url


async def mention(bot: RunningBot, text: str, **kwargs: object) -> str:
    """Mention the bot (in a new thread unless ``thread_ts`` is given); returns the message ts."""
    ts = new_ts()
    response = await bot.post(event_body(mention_event(text, ts=ts, **kwargs)))  # type: ignore[arg-type]
    assert response.status_code == 200
    return ts


async def stored_counts(database_url: str) -> dict[str, int]:
    """How many turns of each role, answered turns and inbox rows of each status are stored."""
    async with reading(database_url) as connection:
        roles = (
            await connection.execute(select(Message.role, func.count()).group_by(Message.role))
        ).all()
        statuses = (
            await connection.execute(
                select(InboxItem.status, func.count()).group_by(InboxItem.status)
            )
        ).all()
        answered = await connection.scalar(select(func.count(func.distinct(Message.reply_to_id))))
    counts = {str(role): int(n) for role, n in roles}
    counts |= {f"inbox_{status}": int(n) for status, n in statuses}
    counts["answered"] = int(answered or 0)
    return counts


async def inbox_rows(database_url: str) -> list[InboxItem]:
    """Every inbox row, oldest first."""
    return await stored(database_url, InboxItem)
