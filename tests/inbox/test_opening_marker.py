"""The marker that an answer is about to open, written in a transaction of the handler's (the
prompt's): the opening itself then writes nothing while the lease is surely this process's,
and checks the row again once it might not be."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox import UNKNOWN_TS, Delivery, Inbox, LeaseLost, Work
from bot.store.db import create_engine, create_session_factory
from bot.store.models import InboxItem
from tests.reliability.conftest import inbox_rows


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_the_opening_writes_nothing_after_the_marker_until_the_lease_may_be_gone(
    engine: AsyncEngine, database_url: str
) -> None:
    sessions = create_session_factory(engine)
    writes: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE inbox SET reply_ts"):
            writes.append(statement)

    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def handler(work: Work) -> None:
        async with sessions.begin() as session:  # the prompt's transaction
            await work.opening_marker()(session)
        marked = len(writes)
        await work.set_reply_ts([UNKNOWN_TS])  # the first message opens: nothing to write
        skipped = len(writes) == marked
        async with sessions.begin() as session:  # another process has taken the row over
            await session.execute(update(InboxItem).values(lease_owner="another-process"))
        work.lease_expires_at = datetime.now(UTC)  # and, as far as this process knows, it could
        try:
            await work.set_reply_ts([UNKNOWN_TS])
        except LeaseLost:
            outcome.set_result(f"marked {marked}, skipped {skipped}, then lease lost")
            raise
        outcome.set_result("opened on a lease another process holds")

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    inbox = Inbox(sessions, {"probe": handler}, lease_seconds=30, concurrency=10)
    try:
        assert await inbox.accept(Delivery("EvOpen", "T0001", "probe", "{}"))
        async with asyncio.timeout(5):
            assert await outcome == "marked 1, skipped True, then lease lost"
    finally:
        await inbox.stop(time.monotonic() + 5)
        event.remove(engine.sync_engine, "before_cursor_execute", note)
    assert len(writes) == 2  # the marker, and the check once the lease might be gone
    [row] = await inbox_rows(database_url)
    assert (row.reply_ts, row.lease_owner) == (UNKNOWN_TS, "another-process")


async def test_a_marker_whose_transaction_rolled_back_is_written_at_the_opening(
    engine: AsyncEngine, database_url: str
) -> None:
    sessions = create_session_factory(engine)
    outcome: asyncio.Future[tuple[str, ...]] = asyncio.get_running_loop().create_future()

    async def handler(work: Work) -> None:
        try:
            async with sessions.begin() as session:  # the prompt's transaction, which fails
                await work.opening_marker()(session)
                raise RuntimeError("a later statement of the prompt's transaction failed")
        except RuntimeError:
            pass
        known = work.reply_ts
        await work.set_reply_ts([UNKNOWN_TS])  # so the opening writes the marker itself
        outcome.set_result(known)

    inbox = Inbox(sessions, {"probe": handler}, lease_seconds=30, concurrency=10)
    try:
        assert await inbox.accept(Delivery("EvRolledBack", "T0001", "probe", "{}"))
        async with asyncio.timeout(5):
            assert await outcome == ()
    finally:
        await inbox.stop(time.monotonic() + 5)
    [row] = await inbox_rows(database_url)
    assert row.reply_ts == UNKNOWN_TS
