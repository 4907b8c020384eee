"""Leases: a process's claim on the deliveries it works on, kept alive while the work runs, and
the sweep that claims what is due.

A claimed row is ``processing`` with an owner (``host:pid:random``), the attempt it is on and
a lease expiry. The owner renews the lease while the work runs; a row whose lease ran out is
due again, whether its process died or a failed attempt left it to wait for its retry (no
owner, the lease running out at the retry time). The sweep claims due rows and pending ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import describe_error
from bot.inbox.work import Completion, Work
from bot.reference import new_reference_id
from bot.store.inbox_repo import InboxRepository
from bot.store.models import InboxStatus

log = logging.getLogger(__name__)

BACKLOG_SWEEP_SECONDS = 0.05
"""How soon to look again while deliveries wait for room."""


class Leases:
    """The claims of one process (``owner``): taking due rows, renewing them, and the writes
    only the holder of a row's lease may make (``Work`` calls ``record_reply`` and
    ``finish``); each returns False once the row is no longer this attempt's."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, owner: str, seconds: float
    ) -> None:
        self._sessions = sessions
        self.owner = owner
        self.duration = timedelta(seconds=seconds)

    def until(self) -> datetime:
        return datetime.now(UTC) + self.duration

    def surely_held(self, work: Work) -> bool:
        """Whether ``work``'s lease is certain to be this process's still: as this process last
        wrote it, it runs longer than one renewal interval yet. Another replica takes a row
        over once the row's expiry is past by its own clock, so this holds while the replicas'
        clocks agree within that interval (20 s at the default lease) and the call about to
        be made takes less."""
        expires = work.lease_expires_at
        return expires is not None and datetime.now(UTC) < expires - self.duration / 3

    async def keep(self, work: Work, worker: asyncio.Task[None]) -> None:
        """Renew the lease while ``worker`` runs; if the row is no longer ours, stop it."""
        interval = self.duration.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            expires = self.until()
            try:
                async with self._sessions.begin() as session:
                    renewed = await InboxRepository(session).renew(
                        work.item_id,
                        owner=self.owner,
                        attempt=work.attempt,
                        lease_expires_at=expires,
                    )
            except Exception as exc:
                log.warning("could not renew a lease: %s", describe_error(exc))
                continue
            if renewed:
                work.lease_expires_at = expires
                continue
            if work.completed:  # done already: nothing was lost, let the handler finish
                return
            work.lease_lost = True
            worker.cancel()
            return

    async def record_reply(
        self, work: Work, reply_ts: str, session: AsyncSession | None = None
    ) -> bool:
        """In ``session``'s transaction when given, else in one of its own."""
        if session is None:
            async with self._sessions.begin() as own:
                return await self.record_reply(work, reply_ts, own)
        return await InboxRepository(session).set_reply_ts(
            work.item_id, owner=self.owner, attempt=work.attempt, reply_ts=reply_ts
        )

    async def finish(
        self,
        work: Work,
        status: InboxStatus,
        *,
        error: str | None = None,
        completion: Completion | None = None,
    ) -> bool:
        """End the delivery in one transaction with ``completion``."""
        async with self._sessions.begin() as session:
            owned = await InboxRepository(session).finish(
                work.item_id,
                owner=self.owner,
                attempt=work.attempt,
                status=status,
                reference_id=work.reference_id,
                error=error,
            )
            if owned and completion is not None:
                await completion(session)
            return owned

    async def retry_later(self, work: Work, at: datetime, error: str | None) -> bool:
        async with self._sessions.begin() as session:
            return await InboxRepository(session).retry_later(
                work.item_id,
                owner=self.owner,
                attempt=work.attempt,
                at=at,
                reference_id=work.reference_id,
                error=error,
            )

    async def release(self, work: Work) -> bool:
        async with self._sessions.begin() as session:
            return await InboxRepository(session).release(
                work.item_id, owner=self.owner, attempt=work.attempt
            )

    async def claim_due(self, limit: int) -> list[Work]:
        """Claim up to ``limit`` due rows (oldest first) as work under this lease."""
        expires = self.until()
        async with self._sessions.begin() as session:
            items = await InboxRepository(session).claim_due(
                owner=self.owner, now=datetime.now(UTC), lease_expires_at=expires, limit=limit
            )
            return [
                Work(
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
                    lease_expires_at=expires,
                )
                for item in items
            ]


class SweepLoop:
    """Runs ``sweep`` every ``interval``, at once when woken, and every
    ``BACKLOG_SWEEP_SECONDS`` while deliveries wait for room (``backlog``). Both are taken
    before a sweep starts, so a wake or a backlog that arrives while one runs is seen by the
    next sweep, never cleared with this one."""

    def __init__(self, sweep: Callable[[], Awaitable[object]], interval: float) -> None:
        self._sweep = sweep
        self._interval = interval
        self._wake = asyncio.Event()
        self.backlog = False
        """Deliveries may wait that this process could start: look again soon."""
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def waiting(self) -> None:
        """A delivery waits for room: sweep now, and keep looking until it is taken."""
        self.backlog = True
        self._wake.set()

    def room_freed(self) -> None:
        if self.backlog:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            self.backlog = False  # the sweep sets it again if it could not take everything
            try:
                await self._sweep()
            except Exception as exc:
                log.warning("inbox sweep failed; will retry: %s", describe_error(exc))
            # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a cancellation that lands
            # as the wait ends, and the sweeper then never stops (shutdown hung).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(
                    BACKLOG_SWEEP_SECONDS if self.backlog else self._interval
                ):
                    await self._wake.wait()
