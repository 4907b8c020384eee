"""Durable event intake: record before the acknowledgement, then work under a lease.

A delivery is written to the ``inbox`` table inside the request that Slack is waiting on; a
duplicate ``event_id`` (Slack's retries, on any replica) is refused by the unique key. When the
process has room, the row is written already claimed and its work starts at once; otherwise it
waits as ``pending``. A sweep claims pending rows and rows whose lease expired because their
process died, so nothing acknowledged is left unanswered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.reference import new_reference_id
from bot.store.inbox_repo import InboxRepository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


@dataclass
class Work:
    """One claimed delivery, as its handler sees it."""

    item_id: int
    event_id: str
    kind: str
    payload: str
    attempts: int
    reply_ts: str | None
    reference_id: str


Handler = Callable[[Work, "Inbox"], Awaitable[None]]
Prepare = Callable[[AsyncSession], Awaitable[bool]]


class Inbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lease_seconds: float,
        concurrency: int,
        owner: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._lease = timedelta(seconds=lease_seconds)
        self._concurrency = concurrency
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{new_reference_id()[4:]}"
        self._handlers: dict[str, Handler] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._accepting = True
        self._wake = asyncio.Event()
        self._sweeper: asyncio.Task[None] | None = None
        self._metrics = metrics or Metrics()
        self._metrics.watch_in_flight(lambda: self.in_flight)

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def _lease_until(self) -> datetime:
        return datetime.now(UTC) + self._lease

    async def accept(
        self,
        *,
        event_id: str,
        team_id: str,
        kind: str,
        payload: str,
        prepare: Prepare | None = None,
    ) -> bool:
        """Record a delivery durably; returns False for a duplicate or an irrelevant one.

        ``prepare`` runs in the same transaction first and may say the delivery is not ours.
        """
        claim = self._accepting and self.in_flight < self._concurrency
        async with self._sessions.begin() as session:
            if prepare is not None and not await prepare(session):
                return False
            item_id = await InboxRepository(session).add(
                event_id=event_id,
                team_id=team_id,
                kind=kind,
                payload=payload,
                lease_owner=self.owner if claim else None,
                lease_expires_at=self._lease_until() if claim else None,
            )
        self._metrics.delivery_received(duplicate=item_id is None)
        if item_id is None:
            log.info("duplicate delivery dropped", extra={"event_id": event_id})
            return False
        if claim:
            self._spawn(Work(item_id, event_id, kind, payload, 1, None, new_reference_id()))
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
        keepalive = asyncio.create_task(self._keep_lease(work.item_id))
        status, error = "done", None
        try:
            handler = self._handlers.get(work.kind)
            if handler is None:
                status, error = "failed", f"no handler for {work.kind}"
            else:
                await handler(work, self)
        except asyncio.CancelledError:
            # Shutdown: leave the row claimed; its lease expires and recovery takes it over.
            keepalive.cancel()
            raise
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("delivery failed", extra={"reference_id": work.reference_id})
        keepalive.cancel()
        async with self._sessions.begin() as session:
            await InboxRepository(session).finish(
                work.item_id,
                owner=self.owner,
                status=status,
                reference_id=work.reference_id,
                error=error,
            )

    async def set_reply_ts(self, work: Work, reply_ts: str) -> None:
        """Remember the answer being streamed, so a takeover can finish it instead of repeating."""
        work.reply_ts = reply_ts
        async with self._sessions.begin() as session:
            await InboxRepository(session).set_reply_ts(work.item_id, reply_ts)

    async def _keep_lease(self, item_id: int) -> None:
        interval = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._sessions.begin() as session:
                    await InboxRepository(session).renew(
                        item_id, owner=self.owner, lease_expires_at=self._lease_until()
                    )
            except Exception:
                log.warning("could not renew lease", exc_info=True)

    async def sweep(self) -> int:
        """Claim what is due (pending, or orphaned by a dead process) up to free capacity."""
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
            claimed = [
                Work(
                    i.id, i.event_id, i.kind, i.payload, i.attempts, i.reply_ts, new_reference_id()
                )
                for i in items
            ]
        for work in claimed:
            if work.attempts > 1:
                log.info("resuming delivery", extra={"event_id": work.event_id})
            self._spawn(work)
        return len(claimed)

    async def start(self, sweep_interval: float | None = None) -> None:
        interval = sweep_interval or min(5.0, self._lease.total_seconds() / 4)
        self._sweeper = asyncio.create_task(self._sweep_forever(interval), name="inbox-sweeper")

    async def _sweep_forever(self, interval: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.warning("inbox sweep failed; will retry", exc_info=True)
            self._wake.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a cancellation that lands
            # as the wait ends, and the sweeper then never stops (shutdown hung).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wake.wait()

    async def stop(self, grace_seconds: float) -> None:
        """Stop taking work; let in-flight answers finish for a while; leave the rest to recovery."""
        self._accepting = False
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._running:
            _, pending = await asyncio.wait(set(self._running), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("left %d answers to recovery at shutdown", len(pending))
                await asyncio.wait(pending)
