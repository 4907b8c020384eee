"""Event listeners: one file per concern, wired here."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.conversations.edits import TurnEdits
from bot.conversations.intake import MessageIntake
from bot.installations import Uninstalls
from bot.listeners.events.edits import EDIT_SUBTYPES, handle_message_edit
from bot.listeners.events.messages import handle_message_event
from bot.listeners.events.uninstall import handle_app_uninstalled, handle_tokens_revoked


def register(
    app: AsyncApp, intake: MessageIntake, edits: TurnEdits, uninstalls: Uninstalls
) -> None:
    async def on_edit(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await handle_message_edit(body, event, context.bot_user_id, edits)

    async def on_message(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await handle_message_event(body, event, context, intake)

    async def on_uninstalled(context: AsyncBoltContext) -> None:
        await handle_app_uninstalled(context, uninstalls)

    async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        await handle_tokens_revoked(event, context, uninstalls)

    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
    # Before the catch-all ``message`` listener: Bolt runs the first listener that matches.
    app.event({"type": "message", "subtype": sorted(EDIT_SUBTYPES)})(on_edit)
    app.event("app_mention")(on_message)
    app.event("message")(on_message)
