"""Event listeners: one file per concern, wired here."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.conversations.service import ConversationService
from bot.inbox import Inbox
from bot.listeners.events.messages import handle_message_event


def register(app: AsyncApp, conversations: ConversationService, inbox: Inbox) -> None:
    async def on_message(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await handle_message_event(body, event, context, conversations, inbox)

    app.event("app_mention")(on_message)
    app.event("message")(on_message)
