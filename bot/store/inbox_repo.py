"""The durable inbox: deliveries recorded before the acknowledgement, claimed under a lease."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import insert_ignoring_conflict
from bot.store.models import InboxItem


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        event_id: str,
        team_id: str,
        kind: str,
        payload: str,
        lease_owner: str | None,
        lease_expires_at: datetime | None,
    ) -> int | None:
        """Record a delivery, optionally already claimed; None when the event_id was seen."""
        return await insert_ignoring_conflict(
            self._session,
            InboxItem,
            {
                "event_id": event_id,
                "team_id": team_id,
                "kind": kind,
                "payload": payload,
                "status": "processing" if lease_owner else "pending",
                "attempts": 1 if lease_owner else 0,
                "lease_owner": lease_owner,
                "lease_expires_at": lease_expires_at,
            },
        )

    async def claim_due(
        self, *, owner: str, now: datetime, lease_expires_at: datetime, limit: int
    ) -> Sequence[InboxItem]:
        """Claim pending rows and rows whose lease expired (their process died).

        One statement: on PostgreSQL the rows are locked as they are chosen and rows another
        replica is claiming at this moment are skipped, so no row is claimed twice and nobody
        waits; SQLite serializes writers anyway (``BEGIN IMMEDIATE``).
        """
        due = or_(
            InboxItem.status == "pending",
            and_(InboxItem.status == "processing", InboxItem.lease_expires_at < now),
        )
        chosen = (
            select(InboxItem.id)
            .where(due)
            .order_by(InboxItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = await self._session.scalars(
            update(InboxItem)
            .where(InboxItem.id.in_(chosen.scalar_subquery()), due)
            .values(
                status="processing",
                lease_owner=owner,
                lease_expires_at=lease_expires_at,
                attempts=InboxItem.attempts + 1,
            )
            .returning(InboxItem)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed.all(), key=lambda item: item.id)

    async def renew(self, item_id: int, *, owner: str, lease_expires_at: datetime) -> bool:
        result = await self._session.execute(
            update(InboxItem)
            .where(
                InboxItem.id == item_id,
                InboxItem.lease_owner == owner,
                InboxItem.status == "processing",
            )
            .values(lease_expires_at=lease_expires_at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_reply_ts(self, item_id: int, reply_ts: str) -> None:
        await self._session.execute(
            update(InboxItem).where(InboxItem.id == item_id).values(reply_ts=reply_ts)
        )

    async def finish(
        self,
        item_id: int,
        *,
        owner: str,
        status: str,
        reference_id: str | None = None,
        error: str | None = None,
    ) -> None:
        await self._session.execute(
            update(InboxItem)
            .where(InboxItem.id == item_id, InboxItem.lease_owner == owner)
            .values(
                status=status,
                lease_owner=None,
                lease_expires_at=None,
                reference_id=reference_id,
                last_error=error,
            )
        )

    # ``kind`` is the kind of the rows whose payload is a user's message: JSON with "ts",
    # "channel_id", "text" and "files" (``IncomingMessage``).

    async def erase_message_text(self, kind: str, team_id: str, channel_id: str, ts: str) -> int:
        """A Slack message was deleted: blank its text and files in every delivery recorded
        for it (a mention arrives twice: app_mention and message). How many rows."""
        return await self._rewrite_messages(
            kind, team_id, channel_id, ts, {"text": "", "files": []}
        )

    async def edit_message_text(
        self, kind: str, team_id: str, channel_id: str, ts: str, text: str
    ) -> int:
        """A Slack message was edited: its recorded deliveries get the new text. How many rows."""
        return await self._rewrite_messages(kind, team_id, channel_id, ts, {"text": text})

    async def _rewrite_messages(
        self, kind: str, team_id: str, channel_id: str, ts: str, changes: dict[str, Any]
    ) -> int:
        # The LIKE narrows the rows to read; the JSON decides (a text could quote a ts).
        candidates = await self._session.scalars(
            select(InboxItem).where(
                InboxItem.team_id == team_id,
                InboxItem.kind == kind,
                InboxItem.payload.contains(json.dumps(ts), autoescape=True),
            )
        )
        rewritten = 0
        for item in candidates.all():
            payload: dict[str, Any] = json.loads(item.payload)
            if payload.get("ts") != ts or payload.get("channel_id") != channel_id:
                continue
            payload.update(changes)
            await self._session.execute(
                update(InboxItem)
                .where(InboxItem.id == item.id)
                .values(payload=json.dumps(payload, separators=(",", ":")))
            )
            rewritten += 1
        return rewritten
