"""Two replicas on one PostgreSQL: one answer per user message whatever Slack delivers to whom,
one replica at a time in a thread, and a sweep that never hands a row to two replicas."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.locks_pg import SharedThreadLocks, thread_lock_key
from bot.conversations.values import ThreadKey
from bot.inbox import Delivery, Inbox, Work
from bot.loop_lag import LoopLag
from bot.store.advisory import AdvisoryLocks
from bot.store.db import create_engine, create_session_factory
from bot.store.inbox_repo import InboxRepository
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts
from tests.reliability.conftest import mention, stored_counts

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


async def _two_replicas(make_settings: SettingsFactory, url: str) -> tuple[RunningBot, RunningBot]:
    settings = make_settings(DATABASE_URL=url)
    return await start_bot(settings), await start_bot(settings)


async def test_duplicate_storm_across_two_replicas_gets_exactly_one_answer(
    postgres_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script_chat(Reply("Root answer."), Reply("The one answer.", delay_s=0.01))
    a, b = await _two_replicas(make_settings, postgres_url)
    try:
        root = await mention(a, "start")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        ts = new_ts()
        # One reply that mentions the bot arrives as two events, each delivered five times at
        # once to both replicas, and then retried by Slack to both again.
        bodies = [
            event_body(mention_event("question", ts=ts, thread_ts=root), event_id="EvStormMention"),
            event_body(
                message_event("<@U0BOT> question", ts=ts, thread_ts=root), event_id="EvStormMsg"
            ),
        ]
        storm = [bot.post(body) for body in bodies for bot in (a, b) for _ in range(5)]
        assert {r.status_code for r in await asyncio.gather(*storm)} == {200}
        retries = [bot.post(body, headers=RETRY) for body in bodies for bot in (a, b)]
        assert {r.status_code for r in await asyncio.gather(*retries)} == {200}
    finally:
        await a.close()  # stopping waits for in-flight answers, so everything has happened
        await b.close()
    assert len(fake_openai.chat_requests()) == 2
    assert [m.visible_text() for m in fake_slack.thread("C0001", root)] == [
        "Root answer.",
        "The one answer.",
    ]
    counts = await stored_counts(postgres_url)
    assert (counts["user"], counts["assistant"]) == (2, 2)


async def test_follow_up_on_another_replica_waits_for_the_first_answer(
    postgres_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script_chat(Reply("First answer.", chunk_chars=2, delay_s=0.02), Reply("Second."))
    a, b = await _two_replicas(make_settings, postgres_url)
    try:
        root = await mention(a, "first question")
        await fake_openai.wait_for_requests("/v1/chat/completions", 1)
        await b.post(event_body(message_event("second question", thread_ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 2)
    finally:
        await a.close()
        await b.close()
    assert [m.visible_text() for m in fake_slack.thread("C0001", root)] == [
        "First answer.",
        "Second.",
    ]
    second = fake_openai.chat_requests()[1]["messages"]
    assert ("assistant", "First answer.") in [(m["role"], m["content"]) for m in second]


async def test_a_thread_lock_excludes_other_processes_and_dies_with_its_holder(
    postgres_url: str,
) -> None:
    engines = [create_engine(postgres_url) for _ in range(2)]
    mine, theirs = (AdvisoryLocks(engine) for engine in engines)
    key = thread_lock_key(ThreadKey("T0001", "C0001", "1.0"))
    other = thread_lock_key(ThreadKey("T0001", "C0001", "2.0"))
    try:
        assert await mine.try_acquire(key)
        assert not await theirs.try_acquire(key)
        assert await theirs.try_acquire(other)  # different threads proceed in parallel
        await theirs.release(other)
        async with engines[1].connect() as connection:  # the holder's process dies
            await connection.execute(text(_KILL_LOCK_HOLDERS))
        assert await theirs.try_acquire(key)
        await theirs.release(key)
        with pytest.raises(DBAPIError):
            await mine.release(key)  # the lost connection is noticed and replaced
        assert await mine.try_acquire(key)
        await mine.release(key)
    finally:
        for engine in engines:
            await engine.dispose()


class _GatedRelease(AdvisoryLocks):
    """Real advisory locks whose unlock waits for a gate, so a cancellation can land during it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.releasing, self.gate, self.released = (asyncio.Event() for _ in range(3))

    async def release(self, key: int) -> None:
        self.releasing.set()
        await self.gate.wait()
        await super().release(key)
        self.released.set()


async def test_an_answer_cancelled_while_it_unlocks_its_thread_still_unlocks_it(
    postgres_url: str,
) -> None:
    engines = [create_engine(postgres_url) for _ in range(2)]
    gated, theirs = _GatedRelease(engines[0]), AdvisoryLocks(engines[1])
    thread = ThreadKey("T0001", "C0001", "1.0")

    async def answer() -> None:
        async with SharedThreadLocks(gated).hold(thread):
            pass

    try:
        worker = asyncio.create_task(answer())
        await gated.releasing.wait()
        worker.cancel()  # a lost lease or shutdown, just as the answer lets go of the thread
        gated.gate.set()
        with pytest.raises(asyncio.CancelledError):
            await worker
        async with asyncio.timeout(5):
            await gated.released.wait()
        assert await theirs.try_acquire(thread_lock_key(thread))
        await theirs.release(thread_lock_key(thread))
    finally:
        for engine in engines:
            await engine.dispose()


# With a timeout, pg_terminate_backend waits until the backend has exited (and so freed its
# locks); without one it only signals it, and the next try_acquire could still find them held.
_KILL_LOCK_HOLDERS = """
SELECT pg_terminate_backend(pid, 5000) FROM pg_locks
WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def test_concurrent_sweeps_never_claim_a_row_twice(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    sessions: async_sessionmaker[AsyncSession] = create_session_factory(engine)
    expired = datetime.now(UTC) - timedelta(seconds=1)
    async with sessions.begin() as session:
        await InboxRepository(session).add_many(
            [
                (
                    Delivery(f"EvSweep{n}", "T0001", "probe", "{}"),
                    "dead-replica" if n % 2 else None,
                    expired if n % 2 else None,
                )
                for n in range(60)
            ]
        )
    claimed: list[list[int]] = [[] for _ in range(4)]
    idle = asyncio.Event()

    def recorder(seen: list[int]):  # type: ignore[no-untyped-def]
        async def handle(work: Work) -> None:
            seen.append(work.item_id)
            await idle.wait()

        return handle

    lags = [LoopLag() for _ in claimed]  # ticks moved by hand: each sweep starts ten a tick
    inboxes = [
        Inbox(sessions, {"probe": recorder(seen)}, lease_seconds=30, concurrency=100, lag=lag)
        for seen, lag in zip(claimed, lags, strict=True)
    ]
    try:
        for _ in range(3):
            await asyncio.gather(*(inbox.sweep() for inbox in inboxes for _ in range(3)))
            for lag in lags:
                lag.ticks += 1
        everything = sorted(item for seen in claimed for item in seen)
        assert len(everything) == 60 and len(set(everything)) == 60
    finally:
        idle.set()
        for inbox in inboxes:
            await inbox.stop(time.monotonic() + 5)
        await engine.dispose()
