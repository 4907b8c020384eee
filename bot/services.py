"""The long-lived objects of one process, built once at start-up and passed to the edge."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.conversations.service import ConversationService
from bot.inbox import Inbox
from bot.openai_api.client import OpenAIClient
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

    async def aclose(self) -> None:
        await self.openai.aclose()
        await self.engine.dispose()
