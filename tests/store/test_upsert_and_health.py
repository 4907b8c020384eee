"""The shared ``ON CONFLICT`` helper (a vote replaced, not duplicated) and the database probe."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.store._upsert import upsert
from bot.store.db import create_engine
from bot.store.feedback_repo import FeedbackRepository
from bot.store.health import database_unreachable_reason
from bot.store.models import Feedback

VOTE = {"team_id": "T0001", "channel_id": "C0001", "message_ts": "1.2", "user_id": "U0USER"}
KEY = ("team_id", "channel_id", "message_ts", "user_id")


async def test_upsert_inserts_then_overwrites_only_the_update_columns(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await upsert(
                session,
                Feedback,
                {**VOTE, "value": "up"},
                conflict_columns=KEY,
                update_columns=("value",),
            )
            await FeedbackRepository(session).record(**VOTE, value="down")
            await upsert(
                session,
                Feedback,
                {**VOTE, "user_id": "U0OTHER", "value": "up"},
                conflict_columns=KEY,
                update_columns=("value",),
            )
            rows = (await session.execute(select(Feedback.user_id, Feedback.value))).all()
    finally:
        await engine.dispose()
    assert sorted(map(tuple, rows)) == [("U0OTHER", "up"), ("U0USER", "down")]


async def test_database_probe_says_why_it_is_unreachable(sqlite_url: str, tmp_path: Path) -> None:
    reachable = create_engine(sqlite_url)  # the bot's engines, as ``python -m bot check`` has
    missing = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    try:
        assert await database_unreachable_reason(reachable) is None
        assert await database_unreachable_reason(missing) == "OperationalError"
    finally:
        await reachable.dispose()
        await missing.dispose()
