"""Recording model calls: a ``usage`` row each, and Prometheus tokens and cost by model.

A call is written either in the caller's own transaction (``writer``, e.g. beside the stored
answer, so an answer costs no extra commit) or in one of its own (``record``)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import describe_error
from bot.metrics import Metrics
from bot.store.usage_repo import UsageRepository
from bot.usage.calls import ModelCall
from bot.usage.prices import PriceTable

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""The current time, timezone-aware (UTC); injected so tests can move it."""

UsageWriter = Callable[[AsyncSession], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UsageLedger:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        prices: PriceTable,
        metrics: Metrics,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._prices = prices
        self._metrics = metrics
        self._clock = clock

    def writer(self, call: ModelCall) -> UsageWriter:
        """What writes ``call``'s row in the caller's transaction (and counts it, when run)."""

        async def write(session: AsyncSession) -> None:
            await _add(session, call, self._count(call))

        return write

    async def record(self, call: ModelCall) -> None:
        """Write ``call`` in a transaction of its own. A database failure is logged, never
        raised: the call happened, and whoever it served must not hear about the books.

        Moderation, for example: ``await ledger.record(ModelCall(asker, CallKind.MODERATION,
        "omni-moderation-latest"))``."""
        try:
            async with self._sessions.begin() as session:
                await self.writer(call)(session)
        except Exception as exc:
            log.error("could not record a %s call: %s", call.kind, describe_error(exc))

    def _count(self, call: ModelCall) -> datetime:
        cost = self._prices.cost(
            call.model,
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            images=call.images,
        )
        self._metrics.model_usage(
            model=call.model,
            prompt=call.prompt_tokens,
            completion=call.completion_tokens,
            cost_usd=cost,
        )
        return self._clock()


async def _add(session: AsyncSession, call: ModelCall, at: datetime) -> None:
    asker = call.asker
    await UsageRepository(session).add(
        created_at=at,
        team_id=asker.team_id,
        enterprise_id=asker.enterprise_id,
        user_id=asker.user_id,
        channel_id=asker.channel_id,
        conversation_id=asker.conversation_id,
        kind=call.kind.value,
        model=call.model,
        prompt_tokens=call.prompt_tokens,
        completion_tokens=call.completion_tokens,
        estimated=call.estimated,
        images=call.images,
        image_size=call.image_size,
        image_quality=call.image_quality,
    )
