"""What the queue hands its handlers: a claimed delivery and what the handler may do to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import InboxStatus

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
    enterprise_id: str | None = None


class LeaseLost(Exception):
    """Another process took the work over; this one must stop without writing anything."""


InTransaction = Callable[[AsyncSession], Awaitable[None]]
"""What is written in a transaction another writer began (the row's end, an answer's marker)."""

Completion = InTransaction
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
    _queue: WorkQueue = field(repr=False)
    lease_lost: bool = False
    completed: bool = False
    team_id: str = ""
    """The workspace the delivery came from (its Grid org in ``enterprise_id``)."""
    enterprise_id: str | None = None
    lease_expires_at: datetime | None = None
    """The lease's end as this process last wrote it (claimed or renewed)."""

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= MAX_ATTEMPTS

    @property
    def given_up(self) -> bool:
        """Earlier attempts died with their process as often as allowed: do not try again."""
        return self.attempt > MAX_ATTEMPTS

    async def set_reply_ts(self, reply_ts: Sequence[str]) -> None:
        """Remember the messages written so far (``UNKNOWN_TS`` for one being opened), so a
        takeover can close them instead of leaving a half answer; raises ``LeaseLost``.

        What is recorded already is not written again while the lease is surely held: no other
        process can have taken the row before it runs out, so the write would only check
        that."""
        if tuple(reply_ts) == self.reply_ts and self._queue.surely_held(self):
            return
        await self._record(reply_ts, None)

    def opening_marker(self) -> InTransaction:
        """What records, in the caller's transaction, that the answer's first message is about
        to be opened, so its ``set_reply_ts`` before that opening writes nothing (one
        transaction less per answer). It raises ``LeaseLost``; the work knows the marker only
        once that transaction commits."""

        async def mark(session: AsyncSession) -> None:
            await self._write([UNKNOWN_TS], session)
            event.listen(
                session.sync_session,
                "after_commit",
                lambda _session: self._recorded([UNKNOWN_TS]),
                once=True,
            )

        return mark

    async def _record(self, reply_ts: Sequence[str], session: AsyncSession | None) -> None:
        await self._write(reply_ts, session)
        self._recorded(reply_ts)

    async def _write(self, reply_ts: Sequence[str], session: AsyncSession | None) -> None:
        if not await self._queue.record_reply(self, " ".join(reply_ts), session):
            self.lease_lost = True
            raise LeaseLost(self.event_id)

    def _recorded(self, reply_ts: Sequence[str]) -> None:
        self.reply_ts = tuple(reply_ts)

    async def complete(self, completion: Completion) -> None:
        """Mark the delivery done and write ``completion`` in the same transaction, now (while
        the handler still holds whatever orders its work); raises ``LeaseLost``."""
        if not await self._queue.finish(self, InboxStatus.DONE, completion=completion):
            self.lease_lost = True
            raise LeaseLost(self.event_id)
        self.completed = True


class WorkQueue(Protocol):
    """What a work item asks of the queue that claimed it."""

    async def record_reply(
        self, work: Work, reply_ts: str, session: AsyncSession | None = None
    ) -> bool: ...

    def surely_held(self, work: Work) -> bool: ...

    async def finish(
        self,
        work: Work,
        status: InboxStatus,
        *,
        error: str | None = None,
        completion: Completion | None = None,
    ) -> bool: ...


Handler = Callable[[Work], Awaitable[None]]
