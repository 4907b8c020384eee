"""The App Home and the Messages tab: what they offer, decided here, written by slack_output.

- Messages tab opened (agent view: ``app_home_opened`` with ``tab == "messages"``), or an
  assistant thread started (the older assistant view): the configured suggested prompts.
- The user looks at a channel (``app_context_changed``): a prompt for that channel first, where
  the bot has talked before (so it may read it); the channel itself is not read until asked.
- Home tab opened: how to use the bot, the models in use, the viewer's usage this month (when a
  usage summary is given) and, for workspace admins, the workspace's totals and the channels'
  own settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.home.content import ChannelSetting, HomeContent, HomeModels
from bot.home.usage import UsageSummary
from bot.slack_output.agent_surface import AgentSurface, SuggestedPrompt
from bot.slack_output.home_view import build_home_view
from bot.store.channel_settings_repo import ChannelSettingsRepository
from bot.store.conversations_repo import ConversationRepository
from bot.store.db import read_only_session

__all__ = ["AppHome", "ContextEntity"]

CHANNEL_ENTITY = "slack#/types/channel_id"


@dataclass(frozen=True, slots=True)
class ContextEntity:
    """One thing the user is looking at, as ``app_context_changed`` names it."""

    kind: str
    value: str


class AdminCheck(Protocol):
    """The policy's workspace-role check (``SettingsAccess``), cached per workspace."""

    async def is_workspace_admin(self, user_id: str, *, team_id: str) -> bool: ...


class AppHome:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        surface: AgentSurface,
        roles: AdminCheck,
        prompts: Sequence[SuggestedPrompt],
        models: HomeModels,
        usage: UsageSummary | None = None,
    ) -> None:
        self._sessions = sessions
        self._surface = surface
        self._roles = roles
        self._prompts = tuple(prompts)
        self._models = models
        self._usage = usage

    async def messages_opened(self, channel_id: str) -> None:
        """Agent view: prompts go on the DM itself, never on a thread."""
        await self._surface.suggest_prompts(channel=channel_id, prompts=self._prompts)

    async def thread_started(self, channel_id: str, thread_ts: str) -> None:
        """The older assistant view: prompts go on the new assistant thread."""
        await self._surface.suggest_prompts(
            channel=channel_id, thread_ts=thread_ts, prompts=self._prompts
        )

    async def context_changed(
        self, team_id: str, channel_id: str, entities: Sequence[ContextEntity]
    ) -> None:
        """Offer something for the channel in view, if the bot has been part of it."""
        viewed = next((e.value for e in entities if e.kind == CHANNEL_ENTITY), None)
        if viewed is None or not await self._talked_in(team_id, viewed):
            return
        summary = SuggestedPrompt(
            "Summarize this channel", f"Summarize the recent discussion in <#{viewed}>"
        )
        prompts = (summary, *self._prompts[:3])
        await self._surface.suggest_prompts(channel=channel_id, prompts=prompts)

    async def home_opened(self, team_id: str, user_id: str) -> None:
        await self._surface.publish_home(
            user_id=user_id, view=build_home_view(await self.content(team_id, user_id))
        )

    async def content(self, team_id: str, user_id: str) -> HomeContent:
        admin = await self._roles.is_workspace_admin(user_id, team_id=team_id)
        usage = self._usage
        own = await usage.for_user(team_id, user_id) if usage is not None else None
        workspace = await usage.for_workspace(team_id) if usage is not None and admin else None
        settings = await self._channel_settings(team_id) if admin else None
        return HomeContent(self._models, own, workspace, settings)

    async def _talked_in(self, team_id: str, channel_id: str) -> bool:
        async with read_only_session(self._sessions) as session:
            return await ConversationRepository(session).talked_in(team_id, channel_id)

    async def _channel_settings(self, team_id: str) -> tuple[ChannelSetting, ...]:
        async with read_only_session(self._sessions) as session:
            rows = await ChannelSettingsRepository(session).for_team(team_id)
            return tuple(ChannelSetting(r.channel_id, r.model, r.system_prompt) for r in rows)
