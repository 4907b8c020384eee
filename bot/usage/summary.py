"""The App Home's usage sections, read from the ledger: this calendar month (UTC), for one
person or for the whole workspace."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.home.usage import UsageTotals
from bot.policy.budgets import month_start
from bot.store.db import read_only_session
from bot.store.usage_repo import UsageRepository, UsageSum
from bot.usage.calls import CallKind
from bot.usage.ledger import Clock
from bot.usage.prices import PriceTable


class LedgerSummary:
    """``UsageSummary`` over the ``usage`` table."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], prices: PriceTable, clock: Clock
    ) -> None:
        self._sessions = sessions
        self._prices = prices
        self._clock = clock

    async def for_user(self, team_id: str, user_id: str) -> UsageTotals:
        return await self._totals(team_id, user_id)

    async def for_workspace(self, team_id: str) -> UsageTotals:
        return await self._totals(team_id, None)

    async def _totals(self, team_id: str, user_id: str | None) -> UsageTotals:
        since = month_start(self._clock())
        async with read_only_session(self._sessions) as session:
            repo = UsageRepository(session)
            sums = await repo.totals_by_model(team_id, since, user_id=user_id)
            chats = await repo.totals_by_model(team_id, since, user_id=user_id, kind=CallKind.CHAT)
        return UsageTotals(
            answers=sum(s.calls for s in chats),
            prompt_tokens=sum(s.prompt_tokens for s in sums),
            completion_tokens=sum(s.completion_tokens for s in sums),
            images=sum(s.images for s in sums),
            estimated_cost_usd=self._cost(sums),
        )

    def _cost(self, sums: Sequence[UsageSum]) -> float | None:
        """Summed over the priced models; None when none of the models used is priced."""
        costs = [
            self._prices.cost(
                s.model,
                prompt_tokens=s.prompt_tokens,
                completion_tokens=s.completion_tokens,
                images=s.images,
            )
            for s in sums
        ]
        priced = [c for c in costs if c is not None]
        return sum(priced) if priced else None
