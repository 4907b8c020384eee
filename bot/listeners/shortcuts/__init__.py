"""Shortcuts (``message_action``): one file per shortcut, wired here."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.listeners.shortcuts.summarize_thread import SUMMARIZE_THREAD, handle_summarize_thread
from bot.summaries import ThreadSummaries


def register(app: AsyncApp, summaries: ThreadSummaries) -> None:
    async def on_summarize(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handle_summarize_thread(ack, body, summaries)

    app.message_shortcut(SUMMARIZE_THREAD)(on_summarize)
