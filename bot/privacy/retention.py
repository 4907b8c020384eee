"""Retention: what people wrote is kept ``RETENTION_DAYS`` days, then purged (message text and
attached files' text, recorded deliveries, image prompts, thread summaries, feedback, and whom
usage was for — usage figures stay).

The purge runs at start-up and then hourly; with several replicas on PostgreSQL an advisory lock
lets one of them purge at a time while the others skip that round."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.background import OwnedTask
from bot.errors import describe_error
from bot.store.advisory import AdvisoryLocks, advisory_key
from bot.store.privacy_repo import PrivacyRepository
from bot.store.usage_repo import UsageRepository
from bot.usage.ledger import Clock, utc_now

log = logging.getLogger(__name__)

PURGE_LOCK = advisory_key("retention-purge")
PURGE_INTERVAL_SECONDS = 3600.0


@dataclass(frozen=True)
class Purged:
    turns: int
    deliveries: int
    image_prompts: int
    feedback: int
    summaries: int
    usage_details: int
    conversations: int


class RetentionPurge:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        *,
        days: int,
        clock: Clock = utc_now,
        interval_seconds: float = PURGE_INTERVAL_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._locks = AdvisoryLocks(engine) if engine.dialect.name == "postgresql" else None
        self._days = days
        self._clock = clock
        self._interval = interval_seconds
        self._task = OwnedTask("retention-purge")

    async def purge(self) -> Purged | None:
        """One purge of everything older than the retention period; None when another replica
        is purging now."""
        if self._locks is not None and not await self._locks.try_acquire(PURGE_LOCK):
            return None
        try:
            return await self._purge()
        finally:
            if self._locks is not None:
                await self._locks.release(PURGE_LOCK)

    def start(self) -> None:
        """Purge now and hourly, in the background, when a retention period is set."""
        if self._days:
            self._task.start(self._run)

    async def stop(self) -> None:
        await self._task.stop()

    async def _run(self) -> None:
        while True:
            try:
                purged = await self.purge()
            except Exception as exc:  # the database is away: try again next round
                log.error("retention purge failed: %s", describe_error(exc))
            else:
                if purged is not None:
                    log.info("retention purge done", extra=vars(purged))
            await asyncio.sleep(self._interval)

    async def _purge(self) -> Purged:
        cutoff = self._clock() - timedelta(days=self._days)
        async with self._sessions.begin() as session:
            privacy = PrivacyRepository(session)
            return Purged(
                turns=await privacy.delete_turns_before(cutoff),
                deliveries=await privacy.delete_deliveries_before(cutoff),
                image_prompts=await privacy.erase_image_prompts_before(cutoff),
                feedback=await privacy.delete_feedback_before(cutoff),
                summaries=await privacy.delete_summaries_before(cutoff),
                usage_details=await UsageRepository(session).forget_details_before(cutoff),
                conversations=await privacy.delete_empty_conversations(before=cutoff),
            )
