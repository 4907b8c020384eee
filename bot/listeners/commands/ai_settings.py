"""``/ai-settings show | model <name> | prompt <text> | reset``: a channel's own model and
system prompt. The answer is the acknowledgement itself, shown only to the person who asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.conversations.channel_settings import ChannelRequest, ChannelSettingsService


async def handle_ai_settings(
    ack: AsyncAck, command: Mapping[str, Any], settings: ChannelSettingsService
) -> None:
    reply = await settings.apply(
        ChannelRequest(
            team_id=str(command.get("team_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            user_id=str(command.get("user_id") or ""),
            text=str(command.get("text") or ""),
        )
    )
    await ack(text=reply, response_type="ephemeral")


def register(app: AsyncApp, settings: ChannelSettingsService) -> None:
    async def on_ai_settings(ack: AsyncAck, command: dict[str, Any]) -> None:
        await handle_ai_settings(ack, command, settings)

    app.command("/ai-settings")(on_ai_settings)
