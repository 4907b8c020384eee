"""Event listeners: one file per concern, wired here."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.background import BackgroundTasks
from bot.conversations.edits import TurnEdits
from bot.conversations.intake import MessageIntake
from bot.home.service import AppHome
from bot.listeners.events.app_home import (
    handle_app_home_opened,
    handle_assistant_thread_started,
    handle_context_changed,
)
from bot.listeners.events.edits import EDIT_SUBTYPES, handle_message_edit
from bot.listeners.events.messages import handle_message_event


def register_surfaces(app: AsyncApp, home: AppHome, tasks: BackgroundTasks) -> None:
    """The App Home, the Messages tab and the assistant view's thread start."""

    async def on_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        handle_app_home_opened(body, event, home, tasks)

    async def on_context_changed(body: dict[str, Any], event: dict[str, Any]) -> None:
        handle_context_changed(body, event, home, tasks)

    async def on_thread_started(event: dict[str, Any]) -> None:
        handle_assistant_thread_started(event, home, tasks)

    app.event("app_home_opened")(on_home_opened)
    app.event("app_context_changed")(on_context_changed)
    app.event("assistant_thread_started")(on_thread_started)


def register(app: AsyncApp, intake: MessageIntake, edits: TurnEdits) -> None:
    async def on_edit(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await handle_message_edit(body, event, context.bot_user_id, edits)

    async def on_message(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await handle_message_event(body, event, context, intake)

    # Before the catch-all ``message`` listener: Bolt runs the first listener that matches.
    app.event({"type": "message", "subtype": sorted(EDIT_SUBTYPES)})(on_edit)
    app.event("app_mention")(on_message)
    app.event("message")(on_message)
