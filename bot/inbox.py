"""Durable event intake: record before the acknowledgement, then work under a lease.

A generic queue: it knows deliveries (an ``event_id``, a ``kind``, a payload), never what they
mean. A delivery is written to the ``inbox`` table inside the request that Slack is waiting
on; a duplicate ``event_id`` (Slack's retries, on any replica) is refused by the unique key.
When the process has room, the row is written already claimed and its work starts at once;
otherwise it waits as ``pending``. A sweep claims pending rows and rows whose lease expired
because their process died, so nothing acknowledged is left unanswered.

Each attempt ends one of three ways. The handler returns: the row is done (a handler may
``Work.complete`` it earlier, with what to store in the same transaction). The handler raises: the row is due again after a short delay, up to ``MAX_ATTEMPTS`` (the handler sees
``Work.is_last_attempt`` and tells the user on the last). The lease is lost (another process
took the row over): the work is cancelled and nothing of it is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import describe_error
from bot.metrics import Metrics
from bot.reference import new_reference_id
from bot.store.inbox_repo import InboxRepository
from bot.store.models import InboxItem, InboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
UNKNOWN_TS = "?"
"""Stands in ``Work.reply_ts`` for a message being opened whose ts is not known yet."""


@dataclass(frozen=True)
class Delivery:
    """What a listener hands the queue: ``text`` is what a person wrote (kept apart so it can
    be edited or erased in place); ``channel_id``/``message_ts`` name the message it is about."""

    event_id: str
    team_id: str
    kind: str
    payload: str
    text: str = ""
    channel_id: str | None = None
    message_ts: str | None = None


class LeaseLost(Exception):
    """Another process took the work over; this one must stop without writing anything."""


Completion = Callable[[AsyncSession], Awaitable[None]]
"""Written in the transaction that marks the row done, and only if the row is still ours."""


@dataclass
class Work:
    """One claimed delivery, as its handler sees it, with what the handler may do to it."""

    item_id: int
    event_id: str
    kind: str
    payload: str
    text: str
    attempt: int
    reference_id: str
    reply_ts: tuple[str, ...]
    _queue: _Queue = field(repr=False)
    lease_lost: bool = False
    completed: bool = False

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= MAX_ATTEMPTS

    @property
    def given_up(self) -> bool:
        """Earlier attempts died with their process as often as allowed: do not try again."""
        return self.attempt > MAX_ATTEMPTS

    async def set_reply_ts(self, reply_ts: Sequence[str]) -> None:
        """Remember the messages written so far (``UNKNOWN_TS`` for one being opened), so a
        takeover can close them instead of leaving a half answer; raises ``LeaseLost``."""
        if not await self._queue.record_reply(self, " ".join(reply_ts)):
            self.lease_lost = True
            raise LeaseLost(self.event_id)
        self.reply_ts = tuple(reply_ts)

    async def complete(self, completion: Completion) -> None:
        """Mark the delivery done and write ``completion`` in the same transaction, now (while
        the handler still holds whatever orders its work); raises ``LeaseLost``."""
        if not await self._queue.finish(self, InboxStatus.DONE, completion=completion):
            self.lease_lost = True
            raise LeaseLost(self.event_id)
        self.completed = True


class _Queue(Protocol):
    async def record_reply(self, work: Work, reply_ts: str) -> bool: ...

    async def finish(
        self,
        work: Work,
        status: InboxStatus,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        completion: Completion | None = None,
    ) -> bool: ...


Handler = Callable[[Work], Awaitable[None]]


class Inbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler],
        *,
        intake_sessions: async_sessionmaker[AsyncSession] | None = None,
        lease_seconds: float,
        concurrency: int,
        retry_delay_seconds: float = 1.0,
        owner: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._intake_sessions = intake_sessions or sessions
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

    async def accept(
        self,
        delivery: Delivery,
        *,
        prepare: Callable[[AsyncSession], Awaitable[bool]] | None = None,
    ) -> bool:
        """Record a delivery durably; returns False for a duplicate or an irrelevant one.

        ``prepare`` runs in the same transaction first and may say the delivery is not ours.
        """
        claim = self._accepting and self.in_flight < self._concurrency
        async with self._intake_sessions.begin() as session:
            if prepare is not None and not await prepare(session):
                return False
            item_id = await InboxRepository(session).add(
                event_id=delivery.event_id,
                team_id=delivery.team_id,
                kind=delivery.kind,
                payload=delivery.payload,
                text=delivery.text,
                channel_id=delivery.channel_id,
                message_ts=delivery.message_ts,
                lease_owner=self.owner if claim else None,
                lease_expires_at=self._lease_until() if claim else None,
            )
        self._metrics.delivery_received(duplicate=item_id is None)
        if item_id is None:
            log.info("duplicate delivery dropped", extra={"event_id": delivery.event_id})
            return False
        if claim:
            self._spawn(
                Work(
                    item_id,
                    delivery.event_id,
                    delivery.kind,
                    delivery.payload,
                    delivery.text,
                    1,
                    new_reference_id(),
                    (),
                    self,
                )
            )
        else:
            self._wake.set()
        return True

    def _spawn(self, work: Work) -> None:
        task = asyncio.create_task(self._run(work), name=f"inbox-{work.item_id}")
        self._running.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
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
                work.item_id, owner=self.owner, reply_ts=reply_ts
            )

    async def _keep_lease(self, work: Work, worker: asyncio.Task[None]) -> None:
        """Renew the lease while the work runs; if it is gone, stop the work."""
        interval = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._sessions.begin() as session:
                    renewed = await InboxRepository(session).renew(
                        work.item_id, owner=self.owner, lease_expires_at=self._lease_until()
                    )
            except Exception as exc:
                log.warning("could not renew a lease: %s", describe_error(exc))
                continue
            if not renewed:
                work.lease_lost = True
                worker.cancel()
                return

    async def sweep(self) -> int:
        """Claim what is due (pending, retrying, or orphaned by a dead process) up to capacity."""
        room = self._concurrency - self.in_flight
        if room <= 0 or not self._accepting:
            return 0
        async with self._sessions.begin() as session:
            items = await InboxRepository(session).claim_due(
                owner=self.owner,
                now=datetime.now(UTC),
                lease_expires_at=self._lease_until(),
                limit=room,
            )
            claimed = [self._claimed(item) for item in items]
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
        )

    async def start(self, sweep_interval: float | None = None) -> None:
        interval = sweep_interval or min(5.0, self._lease.total_seconds() / 4)
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
                async with asyncio.timeout(interval):
                    await self._wake.wait()

    async def stop(self, deadline: float) -> None:
        """Stop taking work; let in-flight work finish until ``deadline`` (``time.monotonic``);
        leave the rest to recovery."""
        self._accepting = False
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
