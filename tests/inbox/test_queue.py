"""The queue on a real database with probe handlers: how many deliveries start at once, the
loop-lag watcher resting while nothing runs, what a delivery recorded while the process stops
becomes, a wake that comes during a sweep, and an error after a delivery was completed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.inbox import Delivery, Inbox, Work
from bot.inbox.leases import SweepLoop
from bot.inbox.queue import STARTS_PER_TICK
from bot.loop_lag import LoopLag
from bot.store.db import create_engine, create_session_factory
from bot.store.inbox_repo import InboxRepository
from bot.store.models import InboxStatus
from tests.polling import until
from tests.reliability.conftest import inbox_rows


class _Probe:
    """A handler that notes each delivery and holds it until ``release`` is set."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, work: Work) -> None:
        self.seen.append(work.event_id)
        await self.release.wait()


class _GatedSessions:
    """Real sessions whose transactions wait for ``gate``: a write held in flight."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.waiting, self.gate = asyncio.Event(), asyncio.Event()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        self.waiting.set()
        await self.gate.wait()
        async with self._sessions.begin() as session:
            yield session


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def _delivery(event_id: str) -> Delivery:
    return Delivery(event_id, "T0001", "probe", "{}")


async def test_intake_and_the_sweep_share_the_starts_of_a_tick(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    async with sessions.begin() as session:
        await InboxRepository(session).add_many(
            [(_delivery(f"EvWaiting{n:02}"), None, None) for n in range(15)]
        )
    lag, probe = LoopLag(), _Probe()  # the lag watcher's ticks are moved by hand
    inbox = Inbox(sessions, {"probe": probe}, lease_seconds=30, concurrency=100, lag=lag)
    try:
        for n in range(3):
            assert await inbox.accept(_delivery(f"EvNew{n}"))
        assert inbox.in_flight == 3
        assert await inbox.sweep() == STARTS_PER_TICK - 3
        assert await inbox.sweep() == 0
        lag.ticks += 1
        assert await inbox.sweep() == 15 - (STARTS_PER_TICK - 3)
        assert inbox.in_flight == 18
    finally:
        probe.release.set()
        await inbox.stop(time.monotonic() + 5)


async def test_the_lag_watcher_rests_while_idle_and_work_wakes_it(engine: AsyncEngine) -> None:
    lag, probe = LoopLag(interval=0.01), _Probe()
    inbox = Inbox(
        create_session_factory(engine), {"probe": probe}, lease_seconds=30, concurrency=10, lag=lag
    )
    await inbox.start()
    try:
        await until(lambda: lag.sleeping, 5, poll=0.005)
        assert await inbox.accept(_delivery("EvAfterQuiet"))
        assert inbox.in_flight == 1  # started at once, not left pending for the sweep
        ticks = lag.ticks
        await until(lambda: lag.ticks >= ticks + 3, 5, poll=0.005)  # watched while it runs
        probe.release.set()
        await until(lambda: lag.sleeping, 5, poll=0.005)  # and at rest once it is done
        assert inbox.in_flight == 0 and probe.seen == ["EvAfterQuiet"]
    finally:
        probe.release.set()
        await inbox.stop(time.monotonic() + 5)


async def test_a_delivery_recorded_as_the_process_stops_is_left_pending_for_another(
    engine: AsyncEngine, database_url: str
) -> None:
    sessions = create_session_factory(engine)
    intake, probe = _GatedSessions(sessions), _Probe()
    inbox = Inbox(
        sessions,
        {"probe": probe},
        intake_sessions=intake,  # type: ignore[arg-type]
        lease_seconds=30,
        concurrency=10,
    )
    accepting = asyncio.create_task(inbox.accept(_delivery("EvLate")))
    await intake.waiting.wait()  # claimed as it is recorded, and still being written
    await inbox.stop(time.monotonic() + 5)
    intake.gate.set()
    assert await accepting  # recorded: Slack may be acknowledged
    assert inbox.in_flight == 0 and probe.seen == []
    [row] = await inbox_rows(database_url)
    assert (row.status, row.lease_owner, row.attempts) == (InboxStatus.PENDING, None, 0)


async def test_a_delivery_left_waiting_during_a_sweep_is_swept_right_after_it() -> None:
    swept = asyncio.Event()
    sweeps: list[int] = []

    async def sweep() -> None:
        sweeps.append(len(sweeps))
        if len(sweeps) == 1:
            loop.waiting()  # a delivery found no room while this sweep was running
        else:
            swept.set()

    loop = SweepLoop(sweep, interval=60)
    loop.start()
    try:
        async with asyncio.timeout(5):  # not the minute of the interval
            await swept.wait()
    finally:
        await loop.stop()


async def test_an_error_after_the_delivery_was_completed_is_not_retried(
    engine: AsyncEngine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def nothing(session: AsyncSession) -> None:
        pass

    async def handle(work: Work) -> None:
        await work.complete(nothing)
        raise RuntimeError("after the answer was stored")

    inbox = Inbox(
        create_session_factory(engine), {"probe": handle}, lease_seconds=30, concurrency=10
    )
    with caplog.at_level(logging.INFO, logger="bot.inbox"):
        assert await inbox.accept(_delivery("EvDone"))
        await inbox.stop(time.monotonic() + 5)
    assert [r.getMessage() for r in caplog.records] == [
        "delivery failed after it was completed: RuntimeError"
    ]
    [row] = await inbox_rows(database_url)
    assert (row.status, row.lease_expires_at, row.attempts) == (InboxStatus.DONE, None, 1)
