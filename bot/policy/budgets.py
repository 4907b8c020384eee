"""Budgets: per user per UTC day, per workspace per calendar month (UTC), read from the usage
ledger in the database, so every replica sees the same figures. Checked before the model is
called; an answer that started within budget finishes. 0 means unlimited."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.policy.decision import Refusal
from bot.store.db import read_only_session
from bot.store.usage_repo import UsageRepository, UsageSum
from bot.usage.calls import Asker
from bot.usage.ledger import Clock, utc_now
from bot.usage.prices import PriceTable


@dataclass(frozen=True)
class BudgetLimits:
    user_daily_tokens: int = 0
    user_daily_images: int = 0
    workspace_monthly_tokens: int = 0
    workspace_monthly_usd: float = 0.0
    exempt_users: frozenset[str] = frozenset()
    """Admins, when ``BUDGET_EXEMPT_ADMINS`` is on: never refused."""


def day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    return day_start(now).replace(day=1)


def next_month(now: datetime) -> datetime:
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


class Budgets:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        limits: BudgetLimits,
        prices: PriceTable,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._limits = limits
        self._prices = prices
        self._clock = clock
        # Per workspace: its month's use before today, which no longer changes, so each check
        # reads only today's rows (team_id → (today, the sums)).
        self._earlier_this_month: dict[str, tuple[datetime, Sequence[UsageSum]]] = {}
        # What answers still running in this process send, by (team, user) and (team, ""):
        # the ledger has them only once they are done.
        self._in_flight_tokens: dict[tuple[str, str], float] = {}
        self._in_flight_usd: dict[tuple[str, str], float] = {}

    @property
    def limits_tokens(self) -> bool:
        limits = self._limits
        return bool(
            limits.user_daily_tokens
            or limits.workspace_monthly_tokens
            or limits.workspace_monthly_usd
        )

    @contextmanager
    def answering(self, asker: Asker, model: str, prompt_tokens: int) -> Iterator[None]:
        """While an answer runs, what it sends counts against its asker's and workspace's
        budgets, so a burst of messages cannot all start on the same figures."""
        usd = self._prices.cost(model, prompt_tokens=prompt_tokens, completion_tokens=0, images=0)
        held = (
            (self._in_flight_tokens, (asker.team_id, asker.user_id), prompt_tokens),
            (self._in_flight_tokens, (asker.team_id, ""), prompt_tokens),
            (self._in_flight_usd, (asker.team_id, ""), usd or 0.0),
        )
        for tally, key, amount in held:
            tally[key] = tally.get(key, 0.0) + amount
        try:
            yield
        finally:
            for tally, key, amount in held:
                left = tally.pop(key) - amount
                if left > 1e-9:
                    tally[key] = left

    async def check_chat(self, asker: Asker) -> Refusal | None:
        """May ``asker`` start an answer now?"""
        limits = self._limits
        if asker.user_id in limits.exempt_users:
            return None
        now = self._clock()
        if limits.user_daily_tokens:
            used: float = _tokens(await self._user_today(asker, now))
            used += self._in_flight_tokens.get((asker.team_id, asker.user_id), 0)
            if used >= limits.user_daily_tokens:
                return _user_daily_refusal(
                    "budget_user_daily_tokens",
                    f"your daily allowance of {limits.user_daily_tokens:,} tokens",
                    now,
                    private=False,
                )
        return await self._workspace(asker, now, tokens=True, private=False)

    async def check_images(self, asker: Asker, count: int) -> Refusal | None:
        """May ``asker`` have ``count`` more images now?"""
        limits = self._limits
        if asker.user_id in limits.exempt_users:
            return None
        now = self._clock()
        if limits.user_daily_images:
            used = sum(s.images for s in await self._user_today(asker, now))
            if used + count > limits.user_daily_images:
                left = max(0, limits.user_daily_images - used)
                return _user_daily_refusal(
                    "budget_user_daily_images",
                    f"your daily allowance of {limits.user_daily_images} images "
                    f"({left} left today, {count} asked for)",
                    now,
                    private=True,
                )
        return await self._workspace(asker, now, tokens=False, private=True)

    async def _workspace(
        self, asker: Asker, now: datetime, *, tokens: bool, private: bool
    ) -> Refusal | None:
        limits = self._limits
        token_limit = limits.workspace_monthly_tokens if tokens else 0
        if not (token_limit or limits.workspace_monthly_usd):
            return None
        month = await self._this_month(asker.team_id, now)
        in_flight = self._in_flight_tokens.get((asker.team_id, ""), 0)
        if token_limit and _tokens(month) + in_flight >= token_limit:
            what = f"its monthly allowance of {token_limit:,} tokens"
            return _monthly_refusal("budget_workspace_monthly_tokens", what, now, private)
        usd = limits.workspace_monthly_usd
        if usd and self._cost(month) + self._in_flight_usd.get((asker.team_id, ""), 0) >= usd:
            what = f"its monthly budget of ${usd:,.2f} (estimated)"
            return _monthly_refusal("budget_workspace_monthly_usd", what, now, private)
        return None

    async def _this_month(self, team_id: str, now: datetime) -> list[UsageSum]:
        today = day_start(now)
        async with read_only_session(self._sessions) as session:
            usage = UsageRepository(session)
            cached = self._earlier_this_month.get(team_id)
            if cached is None or cached[0] != today:
                earlier = await usage.totals_by_model(team_id, month_start(now), until=today)
                cached = self._earlier_this_month[team_id] = (today, earlier)
            return [*cached[1], *await usage.totals_by_model(team_id, today)]

    async def _user_today(self, asker: Asker, now: datetime) -> Sequence[UsageSum]:
        async with read_only_session(self._sessions) as session:
            return await UsageRepository(session).totals_by_model(
                asker.team_id, day_start(now), user_id=asker.user_id
            )

    def _cost(self, sums: Sequence[UsageSum]) -> float:
        return sum(
            self._prices.cost(
                s.model,
                prompt_tokens=s.prompt_tokens,
                completion_tokens=s.completion_tokens,
                images=s.images,
            )
            or 0.0
            for s in sums
        )


def _tokens(sums: Sequence[UsageSum]) -> int:
    return sum(s.prompt_tokens + s.completion_tokens for s in sums)


def _user_daily_refusal(code: str, what: str, now: datetime, *, private: bool) -> Refusal:
    resets = day_start(now) + timedelta(days=1)
    wait = _duration(resets - now)
    return Refusal(
        code,
        f":hourglass: You've used {what}. It resets at midnight UTC "
        f"({resets:%Y-%m-%d} 00:00 UTC, in {wait}).",
        private=private,
    )


def _monthly_refusal(code: str, what: str, now: datetime, private: bool) -> Refusal:
    resets = next_month(now)
    return Refusal(
        code,
        f":hourglass: This workspace has used {what}. It resets at the start of next month "
        f"({resets:%Y-%m-%d} 00:00 UTC). An admin can raise the limit.",
        private=private,
    )


def _duration(delta: timedelta) -> str:
    minutes = max(1, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
