"""The durable inbox: deliveries recorded before the acknowledgement, claimed under a lease."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import insert_many_ignoring_conflict
from bot.store.models import InboxItem, InboxStatus, core_table


class NewDelivery(Protocol):
    """What a delivery to record has (``bot.inbox.Delivery``)."""

    @property
    def event_id(self) -> str: ...
    @property
    def team_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def channel_id(self) -> str | None: ...
    @property
    def message_ts(self) -> str | None: ...
    @property
    def enterprise_id(self) -> str | None: ...


_INBOX = core_table(InboxItem)
_UPDATE_OWNED = update(_INBOX).where(
    _INBOX.c.id == bindparam("owned_id"),
    _INBOX.c.lease_owner == bindparam("owner"),
    _INBOX.c.attempts == bindparam("attempt"),
    _INBOX.c.status == InboxStatus.PROCESSING,
)


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(
        self, rows: Sequence[tuple[NewDelivery, str | None, datetime | None]]
    ) -> dict[str, int]:
        """Record deliveries (each with its lease owner and expiry when claimed at once) in one
        statement; the ids of those recorded, by event_id (a seen event_id is left out).

        Rows go in ``event_id`` order: two replicas writing overlapping batches then take the
        unique key's locks in one order, and cannot deadlock on PostgreSQL."""
        values = [
            {
                "event_id": d.event_id,
                "team_id": d.team_id,
                "enterprise_id": d.enterprise_id,
                "kind": d.kind,
                "channel_id": d.channel_id,
                "message_ts": d.message_ts,
                "payload": d.payload,
                "text": d.text,
                "status": InboxStatus.PROCESSING if owner else InboxStatus.PENDING,
                "attempts": 1 if owner else 0,
                "lease_owner": owner,
                "lease_expires_at": expires,
            }
            for d, owner, expires in sorted(rows, key=lambda row: row[0].event_id)
        ]
        inserted = await insert_many_ignoring_conflict(
            self._session, InboxItem, values, returning=("event_id", "id")
        )
        return {str(row[0]): int(row[1]) for row in inserted}

    async def claim_due(
        self, *, owner: str, now: datetime, lease_expires_at: datetime, limit: int
    ) -> Sequence[InboxItem]:
        """Claim pending rows and rows whose lease expired (their process died, or a failed
        attempt waits for its retry), at most ``limit``, oldest first.

        The rows are chosen and locked first (on PostgreSQL, rows another replica is claiming
        at this moment are skipped, so no row is claimed twice and nobody waits), then updated,
        in this transaction. Two statements, not ``UPDATE … WHERE id IN (SELECT … LIMIT)``:
        PostgreSQL may run such a subquery again for each row it updates, and then claims
        every due row whatever the limit. SQLite serializes writers anyway (``BEGIN IMMEDIATE``).
        """
        due = or_(
            InboxItem.status == InboxStatus.PENDING,
            and_(InboxItem.status == InboxStatus.PROCESSING, InboxItem.lease_expires_at < now),
        )
        chosen = await self._session.scalars(
            select(InboxItem.id)
            .where(due)
            .order_by(InboxItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(chosen.all())
        if not ids:
            return []
        claimed = await self._session.scalars(
            update(InboxItem)
            .where(InboxItem.id.in_(ids), due)
            .values(
                status=InboxStatus.PROCESSING,
                lease_owner=owner,
                lease_expires_at=lease_expires_at,
                attempts=InboxItem.attempts + 1,
            )
            .returning(InboxItem)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed.all(), key=lambda item: item.id)

    async def renew(
        self, item_id: int, *, owner: str, attempt: int, lease_expires_at: datetime
    ) -> bool:
        """Extend the lease; False when the row is no longer ours (another process took it)."""
        return await self._update_owned(item_id, owner, attempt, lease_expires_at=lease_expires_at)

    async def set_reply_ts(self, item_id: int, *, owner: str, attempt: int, reply_ts: str) -> bool:
        return await self._update_owned(item_id, owner, attempt, reply_ts=reply_ts)

    async def finish(
        self,
        item_id: int,
        *,
        owner: str,
        attempt: int,
        status: InboxStatus,
        reference_id: str | None = None,
        error: str | None = None,
    ) -> bool:
        """End the delivery: ``done``, or ``failed`` for good. False when the row is no longer
        ours."""
        return await self._update_owned(
            item_id,
            owner,
            attempt,
            status=status,
            lease_owner=None,
            lease_expires_at=None,
            reference_id=reference_id,
            last_error=error,
        )

    async def retry_later(
        self,
        item_id: int,
        *,
        owner: str,
        attempt: int,
        at: datetime,
        reference_id: str | None = None,
        error: str | None = None,
    ) -> bool:
        """End a failed attempt that is to be tried again at ``at``. The row stays
        ``processing``, with no owner and a lease that runs out at ``at``: the sweep claims it
        then as it claims the work of a process that died, counting one more attempt. False
        when the row is no longer ours."""
        return await self._update_owned(
            item_id,
            owner,
            attempt,
            lease_owner=None,
            lease_expires_at=at,
            reference_id=reference_id,
            last_error=error,
        )

    async def release(self, item_id: int, *, owner: str, attempt: int) -> bool:
        """Give back a row claimed as it was recorded whose work never started (the process
        began stopping meanwhile): ``pending`` again, its attempt not counted."""
        return await self._update_owned(
            item_id,
            owner,
            attempt,
            status=InboxStatus.PENDING,
            lease_owner=None,
            lease_expires_at=None,
            attempts=InboxItem.attempts - 1,
        )

    async def _update_owned(self, item_id: int, owner: str, attempt: int, **values: object) -> bool:
        """Update the row if this attempt still holds it. The attempt counts, not only the
        owner: a process whose own lease expired may have claimed the row again itself.
        A Core statement built once, the values as its parameters: every answer makes two of
        these, and no ORM object needs them."""
        expressions = {k: v for k, v in values.items() if isinstance(v, ColumnElement)}
        statement = _UPDATE_OWNED.values(**expressions) if expressions else _UPDATE_OWNED
        params = {k: v for k, v in values.items() if k not in expressions}
        result = await self._session.execute(
            statement, {**params, "owned_id": item_id, "owner": owner, "attempt": attempt}
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_text(
        self, kind: str, team_id: str, channel_id: str, message_ts: str, text: str
    ) -> int:
        """A Slack message was edited: its recorded deliveries get the new text. How many rows."""
        return await self._update_message(kind, team_id, channel_id, message_ts, text=text)

    async def erase(self, kind: str, team_id: str, channel_id: str, message_ts: str) -> int:
        """A Slack message was deleted: its recorded deliveries keep nothing it said (text,
        files, errors); one not answered yet is left with nothing to answer. How many rows."""
        return await self._update_message(
            kind, team_id, channel_id, message_ts, text="", payload="", last_error=None
        )

    async def _update_message(
        self, kind: str, team_id: str, channel_id: str, message_ts: str, **values: object
    ) -> int:
        result = await self._session.execute(
            update(InboxItem)
            .where(
                InboxItem.team_id == team_id,
                InboxItem.kind == kind,
                InboxItem.channel_id == channel_id,
                InboxItem.message_ts == message_ts,
            )
            .values(**values)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
