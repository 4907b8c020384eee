"""Durable event intake: record before the acknowledgement, then work under a lease.

A generic queue: it knows deliveries (an ``event_id``, a ``kind``, a payload), never what they
mean. A delivery is written to the ``inbox`` table inside the request that Slack is waiting
on; a duplicate ``event_id`` (Slack's retries, on any replica) is refused by the unique key.
When the process has room, the row is written already claimed and its work starts at once;
otherwise it waits as ``pending``. A sweep claims pending rows and rows whose lease expired
because their process died, so nothing acknowledged is left unanswered.

Each attempt ends one of three ways. The handler returns: the row is done (a handler may
``Work.complete`` it earlier, with what to store in the same transaction). The handler
raises: the row is due again after a short delay, up to ``MAX_ATTEMPTS`` (the handler sees
``Work.is_last_attempt`` and tells the user on the last). The lease is lost (another process
took the row over): the work is cancelled and nothing of it is written.

Intake is protected from answering work: deliveries that arrive together share one commit
(``GroupCommit``), and new work starts only while the event loop keeps up (``LoopLag``);
otherwise it waits as ``pending`` and the sweep takes it a batch at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import describe_error
from bot.inbox.arrivals import Admit, Arrival, ArrivalWriter
from bot.inbox.work import Completion, Delivery, Handler, LeaseLost, Work
from bot.loop_lag import LoopLag
from bot.metrics import Metrics
from bot.reference import new_reference_id
from bot.store.group_commit import GroupCommit
from bot.store.inbox_repo import InboxRepository
from bot.store.models import InboxItem, InboxStatus

log = logging.getLogger(__name__)

STARTS_PER_TICK = 10
"""New work started per tick of the loop-lag watcher: a burst starts gradually, so the lag
shows before the burst has taken the whole loop."""
SWEEP_BATCH = STARTS_PER_TICK
BACKLOG_SWEEP_SECONDS = 0.05
"""How soon to look again while deliveries wait for room."""


class Inbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler],
        *,
        admitters: Mapping[str, Admit] | None = None,
        intake_sessions: async_sessionmaker[AsyncSession] | None = None,
        lease_seconds: float,
        concurrency: int,
        retry_delay_seconds: float = 1.0,
        lag: LoopLag | None = None,
        owner: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._intake = GroupCommit(
            intake_sessions or sessions, ArrivalWriter(admitters or {}).write
        )
        self._lag = lag or LoopLag()
        self._reserved = 0
        self._backlog = False
        self._tick, self._started_in_tick = 0, 0
        self._handlers = dict(handlers)
        self._lease = timedelta(seconds=lease_seconds)
        self._retry_delay = timedelta(seconds=retry_delay_seconds)
        self._concurrency = concurrency
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{new_reference_id()[4:]}"
        self._running: set[asyncio.Task[None]] = set()
        self._accepting = True
        self._wake = asyncio.Event()
        self._sweeper: asyncio.Task[None] | None = None
        self._metrics = metrics or Metrics()
        self._metrics.watch_in_flight(lambda: self.in_flight)

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def _lease_until(self) -> datetime:
        return datetime.now(UTC) + self._lease

    async def accept(self, delivery: Delivery) -> bool:
        """Record a delivery durably; False for a duplicate, or one its kind does not admit."""
        claim = self._has_room()
        if claim:
            self._reserved += 1  # room for it until it is spawned (the commit may be shared)
        arrival = Arrival(
            delivery,
            self.owner if claim else None,
            self._lease_until() if claim else None,
        )
        try:
            recorded = await self._intake.run(arrival)
        finally:
            self._reserved -= claim
        if not recorded.admitted:
            return False
        self._metrics.delivery_received(duplicate=recorded.item_id is None)
        if recorded.item_id is None:
            log.info("duplicate delivery dropped", extra={"event_id": delivery.event_id})
            return False
        if not claim:
            self._backlog = True
            self._wake.set()
            return True
        work = Work(
            recorded.item_id,
            delivery.event_id,
            delivery.kind,
            delivery.payload,
            delivery.text,
            1,
            new_reference_id(),
            (),
            self,
            team_id=delivery.team_id,
            enterprise_id=delivery.enterprise_id,
        )
        self._spawn(work)
        return True

    def _has_room(self) -> bool:
        """Whether new work may start now: the process is not stopping, fewer than
        ``concurrency`` deliveries are in hand, and the event loop keeps up (a saturated loop
        would make every acknowledgement wait; the delivery then waits as pending)."""
        if self._lag.ticks != self._tick:
            self._tick, self._started_in_tick = self._lag.ticks, 0
        if not (
            self._accepting
            and self.in_flight + self._reserved < self._concurrency
            and not self._lag.saturated
            and self._started_in_tick < STARTS_PER_TICK
        ):
            return False
        self._started_in_tick += 1
        return True

    def _spawn(self, work: Work) -> None:
        task = asyncio.create_task(self._run(work), name=f"inbox-{work.item_id}")
        self._running.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._backlog:  # room for a delivery that waits
            self._wake.set()

    async def _run(self, work: Work) -> None:
        worker = asyncio.current_task()
        assert worker is not None
        keepalive = asyncio.create_task(self._keep_lease(work, worker))
        retry_at, status, error = None, InboxStatus.DONE, None
        try:
            handler = self._handlers.get(work.kind)
            if handler is None:
                status, error = InboxStatus.FAILED, f"no handler for {work.kind}"
            else:
                await handler(work)
        except asyncio.CancelledError:
            if not work.lease_lost:
                raise  # shutdown: the row stays claimed; its lease expires and recovery takes it
            worker.uncancel()
        except LeaseLost:
            pass
        except Exception as exc:
            error = describe_error(exc)
            status = InboxStatus.FAILED if work.is_last_attempt else InboxStatus.PENDING
            if status is InboxStatus.PENDING:
                retry_at = datetime.now(UTC) + self._retry_delay * work.attempt
            log.error(
                "delivery attempt %d failed (%s)",
                work.attempt,
                "will retry" if retry_at else "giving up",
                exc_info=exc,
                extra={"reference_id": work.reference_id, "event_id": work.event_id},
            )
        finally:
            keepalive.cancel()
        if work.lease_lost:
            log.warning(
                "another process took this delivery over; stopped",
                extra={"reference_id": work.reference_id, "event_id": work.event_id},
            )
        elif not work.completed:
            await self._finish_quietly(work, status, error, retry_at)

    async def _finish_quietly(
        self, work: Work, status: InboxStatus, error: str | None, retry_at: datetime | None
    ) -> None:
        try:
            if not await self.finish(work, status, error=error, retry_at=retry_at):
                log.warning("delivery was taken over before it was finished")
        except Exception as exc:
            # The row stays claimed: its lease expires and recovery finishes it.
            log.error(
                "could not record the end of a delivery: %s",
                describe_error(exc),
                extra={"reference_id": work.reference_id},
            )
        if retry_at is not None:
            asyncio.get_running_loop().call_later(
                (retry_at - datetime.now(UTC)).total_seconds(), self._wake.set
            )

    async def finish(
        self,
        work: Work,
        status: InboxStatus,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        completion: Completion | None = None,
    ) -> bool:
        """End an attempt in one transaction with ``completion``; False if no longer ours."""
        async with self._sessions.begin() as session:
            owned = await InboxRepository(session).finish(
                work.item_id,
                owner=self.owner,
                attempt=work.attempt,
                status=status,
                reference_id=work.reference_id,
                error=error,
                retry_at=retry_at,
            )
            if owned and completion is not None:
                await completion(session)
            return owned

    async def record_reply(self, work: Work, reply_ts: str) -> bool:
        async with self._sessions.begin() as session:
            return await InboxRepository(session).set_reply_ts(
                work.item_id, owner=self.owner, attempt=work.attempt, reply_ts=reply_ts
            )

    async def _keep_lease(self, work: Work, worker: asyncio.Task[None]) -> None:
        """Renew the lease while the work runs; if it is gone, stop the work."""
        interval = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._sessions.begin() as session:
                    renewed = await InboxRepository(session).renew(
                        work.item_id,
                        owner=self.owner,
                        attempt=work.attempt,
                        lease_expires_at=self._lease_until(),
                    )
            except Exception as exc:
                log.warning("could not renew a lease: %s", describe_error(exc))
                continue
            if not renewed:
                if work.completed:  # done already: nothing was lost, let the handler finish
                    return
                work.lease_lost = True
                worker.cancel()
                return

    async def sweep(self) -> int:
        """Claim what is due (pending, retrying, or orphaned by a dead process) while there is
        room, a batch at a time so a backlog starts no faster than the loop keeps up."""
        room = min(self._concurrency - self.in_flight - self._reserved, SWEEP_BATCH)
        if room <= 0 or not self._has_room():
            self._backlog = True
            return 0
        async with self._sessions.begin() as session:
            items = await InboxRepository(session).claim_due(
                owner=self.owner,
                now=datetime.now(UTC),
                lease_expires_at=self._lease_until(),
                limit=room,
            )
            claimed = [self._claimed(item) for item in items]
        self._backlog = len(claimed) == room
        for work in claimed:
            if work.attempt > 1:
                log.info("resuming delivery", extra={"event_id": work.event_id})
            self._spawn(work)
        return len(claimed)

    def _claimed(self, item: InboxItem) -> Work:
        return Work(
            item.id,
            item.event_id,
            item.kind,
            item.payload,
            item.text,
            item.attempts,
            new_reference_id(),
            tuple((item.reply_ts or "").split()),
            self,
            team_id=item.team_id,
            enterprise_id=item.enterprise_id,
        )

    async def start(self, sweep_interval: float | None = None) -> None:
        interval = sweep_interval or min(5.0, self._lease.total_seconds() / 4)
        self._lag.start()
        self._sweeper = asyncio.create_task(self._sweep_forever(interval), name="inbox-sweeper")

    async def _sweep_forever(self, interval: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:
                log.warning("inbox sweep failed; will retry: %s", describe_error(exc))
            self._wake.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a cancellation that lands
            # as the wait ends, and the sweeper then never stops (shutdown hung).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(BACKLOG_SWEEP_SECONDS if self._backlog else interval):
                    await self._wake.wait()

    async def stop(self, deadline: float) -> None:
        """Stop taking work; let in-flight work finish until ``deadline`` (``time.monotonic``);
        leave the rest to recovery."""
        self._accepting = False
        await self._lag.stop()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._running:
            timeout = max(0.0, deadline - time.monotonic())
            _, pending = await asyncio.wait(set(self._running), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("left %d answers to recovery at shutdown", len(pending))
                await asyncio.wait(pending)
