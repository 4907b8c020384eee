"""Thread summaries made with the shortcut, kept for their "Share in thread" button (repositories
never commit)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ThreadSummary


class ThreadSummaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        requested_by: str,
        text: str,
        model: str,
    ) -> int:
        summary = ThreadSummary(
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            requested_by=requested_by,
            text=text,
            model=model,
        )
        self._session.add(summary)
        await self._session.flush()
        return summary.id

    async def get(self, team_id: str, summary_id: int) -> ThreadSummary | None:
        return await self._session.scalar(
            select(ThreadSummary).where(
                ThreadSummary.id == summary_id, ThreadSummary.team_id == team_id
            )
        )

    async def claim_sharing(self, team_id: str, summary_id: int) -> bool:
        """Mark the summary as being shared; False when it already was (a second click, or
        another replica's), so it is posted at most once."""
        result = await self._session.execute(
            update(ThreadSummary)
            .where(
                ThreadSummary.id == summary_id,
                ThreadSummary.team_id == team_id,
                ThreadSummary.shared_ts.is_(None),
            )
            .values(shared_ts="")
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    async def shared(self, team_id: str, summary_id: int, message_ts: str | None) -> None:
        """Where it was shared; ``None`` gives the claim back (posting failed)."""
        await self._session.execute(
            update(ThreadSummary)
            .where(ThreadSummary.id == summary_id, ThreadSummary.team_id == team_id)
            .values(shared_ts=message_ts)
            .execution_options(synchronize_session=False)
        )
