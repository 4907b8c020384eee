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
``Work.is_last_attempt`` and tells the user on the last), then failed. The lease is lost
(another process took the row over): the work is cancelled and nothing of it is written.
Leases, their renewal and the sweep are in ``leases``.

Intake is protected from answering work: deliveries that arrive together share one commit
(``GroupCommit``), and new work starts only while the event loop keeps up (``LoopLag``);
otherwise it waits as ``pending`` and the sweep takes it a batch at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import describe_error, log_failure
from bot.inbox.arrivals import Admit, Arrival, ArrivalWriter
from bot.inbox.leases import Leases, SweepLoop
from bot.inbox.work import Delivery, Handler, LeaseLost, Work
from bot.loop_lag import LoopLag
from bot.metrics import Metrics
from bot.reference import new_reference_id
from bot.store.group_commit import GroupCommit
from bot.store.loop_thread import LoopRunner
from bot.store.models import InboxStatus

log = logging.getLogger(__name__)

STARTS_PER_TICK = 10
"""New work started per tick of the loop-lag watcher, by intake and sweep together: a burst
starts gradually, so the lag shows before the burst has taken the whole loop."""


class Inbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler],
        *,
        admitters: Mapping[str, Admit] | None = None,
        intake_sessions: async_sessionmaker[AsyncSession] | None = None,
        intake_loop: LoopRunner | None = None,
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
        self._here: LoopRunner | None = None
        self.intake_loop = intake_loop
        """Where deliveries are recorded (``intake_sessions`` live there); None: the inbox's
        own loop."""
        self._counts = threading.Lock()
        """Guards room and reservations: intake may run on another thread than the work."""
        self._reserved = 0
        """Deliveries given room that are not running yet (being recorded, being claimed)."""
        self._tick, self._started_in_tick = 0, 0
        self._handlers = dict(handlers)
        self._leases = Leases(
            sessions,
            owner=owner or f"{socket.gethostname()}:{os.getpid()}:{new_reference_id()[4:]}",
            seconds=lease_seconds,
        )
        self._retry_delay = timedelta(seconds=retry_delay_seconds)
        self._concurrency = concurrency
        self._running: set[asyncio.Task[None]] = set()
        self._accepting = True
        self._sweeps = SweepLoop(self.sweep, min(5.0, lease_seconds / 4))
        self._metrics = metrics or Metrics()
        self._metrics.watch_in_flight(lambda: self.in_flight)

    @property
    def owner(self) -> str:
        return self._leases.owner

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def _has_work(self) -> bool:
        """Work running or about to: what the loop-lag watcher watches for."""
        return bool(self._running) or self._reserved > 0

    async def accept(self, delivery: Delivery) -> bool:
        """Record a delivery durably; False for a duplicate, or one its kind does not admit.

        Callable from another event loop than the inbox's (the HTTP front's, see ``bot.app``):
        the recording runs on the caller's loop, and what starts the work is handed to the
        inbox's loop, so the acknowledgement never waits for it."""
        return await (self.intake_loop or self._home).run(lambda: self._accept(delivery))

    async def _accept(self, delivery: Delivery) -> bool:
        with self._counts:
            claim = self._room() > 0
            self._reserve(int(claim))  # room for it until it is spawned (the commit may be shared)
            tick = self._tick
        arrival = Arrival(
            delivery,
            self.owner if claim else None,
            self._leases.until() if claim else None,
        )
        try:
            recorded = await self._intake.run(arrival)
        except BaseException:
            self._unreserve(int(claim), unused=0, tick=tick)
            raise
        new = recorded.admitted and recorded.item_id is not None
        if not (claim and new):
            self._unreserve(int(claim), unused=0, tick=tick)
        if not recorded.admitted:
            return False
        self._metrics.delivery_received(duplicate=recorded.item_id is None)
        if recorded.item_id is None:
            log.info("duplicate delivery dropped", extra={"event_id": delivery.event_id})
            return False
        if not claim:
            self._home.call(self._sweeps.waiting)
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
            self._leases,
            team_id=delivery.team_id,
            enterprise_id=delivery.enterprise_id,
            lease_expires_at=arrival.lease_expires_at,
        )
        if not self._accepting:  # stopping began while it was recorded: another process's now
            self._unreserve(1, unused=0, tick=tick)
            await self._home.run(lambda: self._release(work))
            return True
        self._home.call(lambda: self._start_recorded(work, tick))
        return True

    @property
    def _home(self) -> LoopRunner:
        """The inbox's loop: the one it started on (or was first used on)."""
        if self._here is None:
            self._here = LoopRunner(asyncio.get_running_loop())
        return self._here

    def _start_recorded(self, work: Work, tick: int) -> None:
        """On the inbox's loop: a delivery recorded claimed starts (its room was reserved)."""
        self._unreserve(1, unused=0, tick=tick)
        if self._accepting:  # else stopping began since: its lease runs out, recovery takes it
            self._spawn(work)

    def _room(self) -> int:
        """How many deliveries may start now. None while the process is stopping or the event
        loop lags (a saturated loop would make every acknowledgement wait; deliveries then
        wait as pending); otherwise what ``concurrency`` leaves, and no more than what is left
        of ``STARTS_PER_TICK`` in this tick. Under ``_counts``."""
        if self._lag.ticks != self._tick:
            self._tick, self._started_in_tick = self._lag.ticks, 0
        if not self._accepting:
            return 0
        self._lag.wake()  # it rests while there is no work
        if self._lag.saturated:
            return 0
        free = self._concurrency - self.in_flight - self._reserved
        return max(0, min(free, STARTS_PER_TICK - self._started_in_tick))

    def _reserve(self, count: int) -> None:
        """Under ``_counts``, with the ``_room()`` that found the room."""
        self._reserved += count
        self._started_in_tick += count

    def _unreserve(self, count: int, *, unused: int, tick: int) -> None:
        """``count`` reservations end; ``unused`` of them started nothing, so their starts go
        back to the tick they were taken in (if it is still this one)."""
        with self._counts:
            self._reserved -= count
            if tick == self._tick:
                self._started_in_tick -= unused

    async def _release(self, work: Work) -> None:
        try:
            await self._leases.release(work)
        except Exception as exc:  # its lease runs out, and recovery takes it then
            log_failure(log, "could not give back a delivery", exc, level=logging.WARNING)

    def _spawn(self, work: Work) -> None:
        task = asyncio.create_task(self._run(work), name=f"inbox-{work.item_id}")
        self._running.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._sweeps.room_freed()  # room for a delivery that waits

    async def _run(self, work: Work) -> None:
        worker = asyncio.current_task()
        assert worker is not None
        keepalive = asyncio.create_task(self._leases.keep(work, worker))
        status, error = InboxStatus.DONE, None
        retry_at: datetime | None = None
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
            if work.completed:
                what = "delivery failed after it was completed"
            elif work.is_last_attempt:
                status = InboxStatus.FAILED
                what = f"delivery attempt {work.attempt} failed (giving up)"
            else:
                retry_at = datetime.now(UTC) + self._retry_delay * work.attempt
                what = f"delivery attempt {work.attempt} failed (will retry)"
            log_failure(
                log,
                what,
                exc,
                reference_id=work.reference_id,
                extra={"event_id": work.event_id},
            )
        finally:
            keepalive.cancel()
        if work.lease_lost:
            log.warning(
                "another process took this delivery over; stopped",
                extra={"reference_id": work.reference_id, "event_id": work.event_id},
            )
        elif not work.completed:
            await self._end_attempt(work, status, error, retry_at)

    async def _end_attempt(
        self, work: Work, status: InboxStatus, error: str | None, retry_at: datetime | None
    ) -> None:
        """Record how the attempt ended: ``status``, or due again at ``retry_at``."""
        try:
            if retry_at is None:
                owned = await self._leases.finish(work, status, error=error)
            else:
                owned = await self._leases.retry_later(work, retry_at, error)
            if not owned:
                log.warning("delivery was taken over before it was finished")
        except Exception as exc:
            # The row stays claimed: its lease expires and recovery finishes it.
            log_failure(
                log, "could not record the end of a delivery", exc, reference_id=work.reference_id
            )
        if retry_at is not None:
            asyncio.get_running_loop().call_later(
                (retry_at - datetime.now(UTC)).total_seconds(), self._sweeps.wake
            )

    async def sweep(self) -> int:
        """Claim what is due (pending, retrying, or orphaned by a dead process) while there is
        room, within the tick's starts, so a backlog starts no faster than the loop keeps up."""
        with self._counts:
            room = self._room()
            if room > 0:
                self._reserve(room)  # intake meanwhile starts only what is left
            tick = self._tick
        if room <= 0:
            self._sweeps.backlog = True
            return 0
        claimed = []
        try:
            claimed = await self._leases.claim_due(room)
        finally:
            self._unreserve(room, unused=room - len(claimed), tick=tick)
        if len(claimed) == room:  # there may be more
            self._sweeps.backlog = True
        for work in claimed:
            if work.attempt > 1:
                log.info("resuming delivery", extra={"event_id": work.event_id})
            self._spawn(work)
        return len(claimed)

    async def start(self) -> None:
        """Start on the loop that runs the inbox's work."""
        self._here = LoopRunner(asyncio.get_running_loop())
        self._lag.start(busy=self._has_work)
        self._sweeps.start()

    async def stop(self, deadline: float) -> None:
        """Stop taking work; let in-flight work finish until ``deadline`` (``time.monotonic``);
        leave the rest to recovery."""
        self._accepting = False
        await self._lag.stop()
        await self._sweeps.stop()
        if self._running:
            timeout = max(0.0, deadline - time.monotonic())
            _, pending = await asyncio.wait(set(self._running), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("left %d answers to recovery at shutdown", len(pending))
                await asyncio.wait(pending)
