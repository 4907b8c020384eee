"""Recording the deliveries that arrive together, in one transaction of a few statements:
each kind's admission check for all of them at once, then one multi-row insert."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.inbox.work import Delivery
from bot.store.inbox_repo import InboxRepository

Admit = Callable[[AsyncSession, Sequence[Delivery]], Awaitable[Sequence[bool]]]
"""Says, for deliveries of one kind, which are the queue's to keep (in the same transaction,
so it may record what it needs alongside, e.g. the conversation a mention starts)."""


@dataclass(frozen=True)
class Arrival:
    delivery: Delivery
    lease_owner: str | None
    """Set when the delivery is claimed as it is recorded (its work starts at once)."""
    lease_expires_at: datetime | None


@dataclass(frozen=True)
class Recorded:
    admitted: bool
    item_id: int | None
    """None for a delivery not admitted, or already recorded (a retry of the same event)."""


class ArrivalWriter:
    def __init__(self, admitters: Mapping[str, Admit]) -> None:
        self._admitters = dict(admitters)

    async def write(self, session: AsyncSession, arrivals: Sequence[Arrival]) -> list[Recorded]:
        admitted = await self._admitted(session, [a.delivery for a in arrivals])
        rows, seen = [], set()
        for arrival, ok in zip(arrivals, admitted, strict=True):
            delivery = arrival.delivery
            if ok and delivery.event_id not in seen:
                seen.add(delivery.event_id)
                rows.append((delivery, arrival.lease_owner, arrival.lease_expires_at))
        ids = await InboxRepository(session).add_many(rows)
        first: set[str] = set()
        recorded = []
        for arrival, ok in zip(arrivals, admitted, strict=True):
            event_id = arrival.delivery.event_id
            # The same event twice in one batch (a retry racing the original): one row.
            item_id = ids.get(event_id) if ok and event_id not in first else None
            first.add(event_id)
            recorded.append(Recorded(ok, item_id))
        return recorded

    async def _admitted(self, session: AsyncSession, deliveries: list[Delivery]) -> list[bool]:
        verdicts = [True] * len(deliveries)
        by_kind: dict[str, list[int]] = defaultdict(list)
        for index, delivery in enumerate(deliveries):
            by_kind[delivery.kind].append(index)
        for kind, indexes in by_kind.items():
            admit = self._admitters.get(kind)
            if admit is None:
                continue
            answers = await admit(session, [deliveries[i] for i in indexes])
            for index, ok in zip(indexes, answers, strict=True):
                verdicts[index] = ok
        return verdicts
