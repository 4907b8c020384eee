"""Intake's engine: on PostgreSQL every statement commits as it returns (two round trips per
batch of arrivals, not five); SQLite keeps the batch in one transaction (one fsync)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.store.conversations_repo import ConversationRepository, NewConversation
from bot.store.db import (
    create_engine,
    create_intake_engine,
    create_session_factory,
    is_sqlite,
    read_only,
)
from bot.store.models import Conversation


async def _seen_elsewhere(url: str) -> int:
    other = create_engine(url)
    try:
        async with read_only(other).connect() as connection:  # never waits for the writer
            return int(await connection.scalar(select(func.count()).select_from(Conversation)))
    finally:
        await other.dispose()


async def test_intake_commits_each_statement_on_postgresql_and_the_batch_on_sqlite(
    database_url: str,
) -> None:
    engine = create_intake_engine(database_url)
    try:
        async with create_session_factory(engine).begin() as session:
            new = NewConversation(("T1", "C1", "100.1"), None, "channel_thread")
            await ConversationRepository(session).ensure([new])
            if is_sqlite(database_url):
                assert await _seen_elsewhere(database_url) == 0  # not before the batch commits
            else:
                assert await _seen_elsewhere(database_url) == 1  # committed as it returned
        assert await _seen_elsewhere(database_url) == 1
    finally:
        await engine.dispose()
