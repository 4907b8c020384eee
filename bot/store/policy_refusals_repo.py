"""Refusals by the policy (access, moderation, budgets): counted, and remembered so a refused
person is told once per thread."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import PolicyRefusal


class PolicyRefusalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        user_id: str,
        kind: str,
        code: str,
        categories: Sequence[str] = (),
    ) -> None:
        self._session.add(
            PolicyRefusal(
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                user_id=user_id,
                kind=kind,
                code=code,
                categories=" ".join(categories),
            )
        )
        await self._session.flush()

    async def refused_before(
        self, *, team_id: str, channel_id: str, thread_ts: str, user_id: str, code: str
    ) -> bool:
        """Whether this person was refused for ``code`` in this thread already."""
        found = await self._session.scalar(
            select(PolicyRefusal.id)
            .where(
                PolicyRefusal.team_id == team_id,
                PolicyRefusal.channel_id == channel_id,
                PolicyRefusal.thread_ts == thread_ts,
                PolicyRefusal.user_id == user_id,
                PolicyRefusal.code == code,
            )
            .limit(1)
        )
        return found is not None
