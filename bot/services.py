"""The long-lived objects of one process, built once at start-up and passed to the edge."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.conversations.channel_settings import ChannelSettingsService
from bot.conversations.edits import TurnEdits
from bot.conversations.service import ConversationService
from bot.images.service import ImageService
from bot.inbox import Inbox
from bot.metrics import Metrics
from bot.openai_api.client import OpenAIClient
from bot.slack_input import SlackFileDownloader
from bot.slack_output.streaming import SlackReplies


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    slack: AsyncWebClient
    openai: OpenAIClient
    replies: SlackReplies
    inbox: Inbox
    conversations: ConversationService
    metrics: Metrics
    images: ImageService
    downloads: SlackFileDownloader
    edits: TurnEdits
    channel_settings: ChannelSettingsService

    async def aclose(self) -> None:
        if self.slack.session is not None:
            await self.slack.session.close()
        await self.openai.aclose()
        await self.downloads.aclose()
        await self.engine.dispose()
