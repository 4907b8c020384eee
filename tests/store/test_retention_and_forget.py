"""Issue 14, retention and privacy: ``RETENTION_DAYS`` purges what is older (usage figures stay,
without whom), one replica at a time; ``forget-user`` removes exactly one user's rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.__main__ import main
from bot.privacy.retention import PURGE_LOCK, Purged, RetentionPurge
from bot.store.advisory import AdvisoryLocks
from bot.store.db import create_engine, create_session_factory
from bot.store.models import (
    Base,
    Conversation,
    Feedback,
    ImageRequest,
    InboxItem,
    InboxStatus,
    Message,
    MessageFile,
    ThreadSummary,
    UsageRecord,
)
from tests.clock import MovableClock
from tests.operator_env import operator_env
from tests.store import people_rows as seed

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=2)
RECENT = NOW - timedelta(hours=2)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


async def _all(sessions: async_sessionmaker[AsyncSession], model: type[Base]) -> list[object]:
    async with sessions() as session:
        return list(await session.scalars(select(model)))


async def test_purge_removes_what_is_older_than_the_retention_and_keeps_the_rest(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    async with sessions.begin() as session:
        gone = await seed.conversation(session, OLD)
        await seed.exchange(session, gone, "U0ONE", "old question", OLD)
        mixed = await seed.conversation(session, OLD)
        await seed.exchange(session, mixed, "U0ONE", "older question", OLD)
        await seed.exchange(session, mixed, "U0ONE", "newer question", RECENT)
        await seed.conversation(session, OLD)  # never had a turn and nothing since: removed
        waiting = await seed.conversation(session, RECENT)  # its first turn is on its way
        await seed.traces(session, "U0ONE", OLD, InboxStatus.PENDING, "C0002")  # still to answer
        # An old thread whose turns all go, while a new message in its channel waits (its turn
        # is not stored yet): the conversation stays for it.
        answered_again = await seed.conversation(session, OLD, channel_id="C0002")
        await seed.exchange(session, answered_again, "U0ONE", "long ago", OLD)
        await seed.traces(session, "U0ONE", RECENT, status=InboxStatus.PENDING, channel_id="C0002")
        await seed.traces(session, "U0ONE", OLD)
        await seed.traces(session, "U0ONE", RECENT)

    purge = RetentionPurge(sessions, engine, days=1, clock=MovableClock(NOW))
    purged = await purge.purge()

    assert purged == Purged(
        turns=6,
        deliveries=1,
        image_prompts=2,
        feedback=2,
        summaries=2,
        usage_details=2,
        conversations=2,
    )
    turns = await _all(sessions, Message)
    assert sorted(m.text for m in turns) == ["answer to newer question", "newer question"]
    files = [f.text for f in await _all(sessions, MessageFile)]
    assert files == ["notes on newer question"]  # the old turns' files went with them
    assert len(await _all(sessions, ThreadSummary)) == 2  # the two recent ones
    kept = {c.id for c in await _all(sessions, Conversation)}
    assert kept == {mixed.id, waiting.id, answered_again.id}
    deliveries = await _all(sessions, InboxItem)
    assert sorted(d.status for d in deliveries) == ["done", "pending", "pending"]
    prompts = sorted(r.prompt for r in await _all(sessions, ImageRequest))
    assert prompts == ["", "", "picture for U0ONE", "picture for U0ONE"]
    assert len(await _all(sessions, Feedback)) == 2
    usage = await _all(sessions, UsageRecord)
    assert sorted((u.user_id or "", u.prompt_tokens) for u in usage) == [
        ("", 100),
        ("", 100),
        ("U0ONE", 100),
        ("U0ONE", 100),
    ]  # old figures stay for totals, without whom they were for
    assert await purge.purge() == Purged(0, 0, 0, 0, 0, 0, 0)


async def test_only_one_replica_purges_at_a_time(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("replicas share PostgreSQL; SQLite serves one process")
    other_replica = AdvisoryLocks(engine)
    assert await other_replica.try_acquire(PURGE_LOCK)
    purge = RetentionPurge(sessions, engine, days=1, clock=MovableClock(NOW))
    try:
        assert await purge.purge() is None
    finally:
        await other_replica.release(PURGE_LOCK)
    assert await purge.purge() is not None


async def test_forget_user_removes_exactly_that_users_rows_and_prints_them(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with sessions.begin() as session:
        theirs = await seed.conversation(session, RECENT)
        await seed.exchange(session, theirs, "U0GONE", "my secret", RECENT)
        shared = await seed.conversation(session, RECENT)
        await seed.exchange(session, shared, "U0GONE", "me too", RECENT)
        await seed.exchange(session, shared, "U0STAY", "and me", RECENT)
        await seed.traces(session, "U0GONE", RECENT)
        await seed.traces(session, "U0STAY", RECENT)
    before = {model: len(await _all(sessions, model)) for model in _TABLES}

    operator_env(monkeypatch, tmp_path, database_url)
    assert await asyncio.to_thread(main, ["forget-user", "U0GONE"]) == 0
    printed = capsys.readouterr().out

    assert "turns and answers: 4" in printed
    assert "recorded deliveries: 1" in printed
    assert "image requests: 1" in printed
    assert "feedback votes: 1" in printed
    assert "thread summaries: 1" in printed
    assert "usage rows: 1" in printed
    assert "empty conversations: 1" in printed
    after = {model: await _all(sessions, model) for model in _TABLES}
    assert {m: len(rows) for m, rows in after.items()} == {
        Message: before[Message] - 4,
        InboxItem: before[InboxItem] - 1,
        ImageRequest: before[ImageRequest] - 1,
        Feedback: before[Feedback] - 1,
        ThreadSummary: before[ThreadSummary] - 1,
        MessageFile: before[MessageFile] - 2,
        UsageRecord: before[UsageRecord] - 1,
        Conversation: before[Conversation] - 1,
    }
    assert sorted(m.text for m in after[Message]) == ["and me", "answer to and me"]
    remaining = " ".join(f"{vars(row)}" for rows in after.values() for row in rows)
    assert "U0GONE" not in remaining and "U0STAY" in remaining
    assert await asyncio.to_thread(main, ["forget-user", "U0GONE"]) == 0
    assert "Nothing was stored from or about U0GONE." in capsys.readouterr().out


_TABLES: tuple[type[Base], ...] = (
    Message,
    InboxItem,
    ImageRequest,
    Feedback,
    ThreadSummary,
    MessageFile,
    UsageRecord,
    Conversation,
)
