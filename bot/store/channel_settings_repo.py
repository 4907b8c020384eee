"""A channel's own model and system prompt (``/ai-settings``), per team and channel."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import insert_ignoring_conflict
from bot.store.models import ChannelSettings


class ChannelSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, team_id: str, channel_id: str) -> ChannelSettings | None:
        return await self._session.scalar(
            select(ChannelSettings).where(
                ChannelSettings.team_id == team_id, ChannelSettings.channel_id == channel_id
            )
        )

    async def for_team(self, team_id: str) -> list[ChannelSettings]:
        """Every channel of the team with settings of its own, by channel id."""
        rows = await self._session.scalars(
            select(ChannelSettings)
            .where(ChannelSettings.team_id == team_id)
            .order_by(ChannelSettings.channel_id)
        )
        return list(rows)

    async def update(
        self,
        team_id: str,
        channel_id: str,
        *,
        updated_by: str,
        model: str | None = None,
        system_prompt: str | None = None,
    ) -> ChannelSettings:
        """Set the given values (``None`` leaves a value as it is), creating the row if needed."""
        await insert_ignoring_conflict(
            self._session, ChannelSettings, {"team_id": team_id, "channel_id": channel_id}
        )
        row = await self.get(team_id, channel_id)
        assert row is not None, "inserted or already present"
        if model is not None:
            row.model = model
        if system_prompt is not None:
            row.system_prompt = system_prompt
        row.updated_by = updated_by
        await self._session.flush()
        return row

    async def reset(self, team_id: str, channel_id: str, *, updated_by: str) -> None:
        """Back to the defaults; who did it (and when) is kept for ``show``."""
        row = await self.update(team_id, channel_id, updated_by=updated_by)
        row.model = None
        row.system_prompt = None
        await self._session.flush()
