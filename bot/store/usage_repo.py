"""The ``usage`` ledger: one row per model call, and the sums budgets and reports read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.store.models import UsageRecord, core_table

_ADD = insert(core_table(UsageRecord))

GROUPINGS = ("user", "channel", "model", "day")


@dataclass(frozen=True, slots=True)
class UsageSum:
    """Totals of one group (``key``: a user id, channel id, model or day) for one model."""

    key: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    images: int
    calls: int
    estimated_calls: int


class UsageRepository:
    """Repositories never commit: the service that owns the unit of work does."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, created_at: datetime, **values: Any) -> None:
        """Record one call (``values`` are ``UsageRecord`` columns), as a Core insert built
        once: it goes with every answer, and nothing reads the row back."""
        await self._session.execute(_ADD, {"created_at": created_at, **values})

    async def totals_by_model(
        self,
        team_id: str,
        since: datetime,
        *,
        until: datetime | None = None,
        user_id: str | None = None,
        kind: str | None = None,
    ) -> Sequence[UsageSum]:
        """A workspace's (or one of its users') use from ``since`` (up to ``until``; of one
        ``kind`` of call when given), per model."""
        conditions = [UsageRecord.team_id == team_id, UsageRecord.created_at >= since]
        if until is not None:
            conditions.append(UsageRecord.created_at < until)
        if user_id is not None:
            conditions.append(UsageRecord.user_id == user_id)
        if kind is not None:
            conditions.append(UsageRecord.kind == kind)
        return await self._sums(UsageRecord.model, conditions)

    async def report(self, since: datetime, by: str) -> Sequence[UsageSum]:
        """Every workspace's use since ``since``, grouped by ``by`` (one of ``GROUPINGS``) and
        model, so each group can be priced."""
        keys: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
            "user": UsageRecord.user_id,
            "channel": UsageRecord.channel_id,
            "model": UsageRecord.model,
            "day": self._day(),
        }
        return await self._sums(keys[by], [UsageRecord.created_at >= since])

    async def forget_details_before(self, cutoff: datetime) -> int:
        """Retention: rows older than ``cutoff`` keep their figures, model and day, but no
        longer say whom, where or in which conversation. How many rows."""
        result = await self._session.execute(
            update(UsageRecord)
            .where(UsageRecord.created_at < cutoff, UsageRecord.user_id.is_not(None))
            .values(user_id=None, channel_id=None, conversation_id=None, enterprise_id=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_user(self, user_id: str) -> int:
        result = await self._session.execute(
            delete(UsageRecord).where(UsageRecord.user_id == user_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _sums(
        self,
        key: ColumnElement[Any] | InstrumentedAttribute[Any],
        conditions: list[ColumnElement[bool]],
    ) -> Sequence[UsageSum]:
        rows = await self._session.execute(
            select(
                key,
                UsageRecord.model,
                func.sum(UsageRecord.prompt_tokens),
                func.sum(UsageRecord.completion_tokens),
                func.sum(UsageRecord.images),
                func.count(),
                func.count().filter(UsageRecord.estimated.is_(True)),
            )
            .where(*conditions)
            .group_by(key, UsageRecord.model)
            .order_by(key, UsageRecord.model)
        )
        return [
            UsageSum(str(k) if k is not None else "", str(m), int(p), int(c), int(i), n, e)
            for k, m, p, c, i, n, e in rows.all()
        ]

    def _day(self) -> ColumnElement[Any]:
        """The UTC day of a row, as ``YYYY-MM-DD`` on both backends."""
        if self._session.get_bind().dialect.name == "postgresql":
            return func.to_char(func.timezone("UTC", UsageRecord.created_at), "YYYY-MM-DD")
        return func.date(UsageRecord.created_at)
