"""Slash command listeners: one file per command, wired here."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.images.service import ImageService
from bot.listeners.commands.imagine import handle_imagine


def register(app: AsyncApp, images: ImageService) -> None:
    async def on_imagine(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
        await handle_imagine(ack, command, context.bot_user_id, images)

    app.command("/imagine")(on_imagine)
