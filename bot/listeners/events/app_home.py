"""The bot's own surfaces: ``app_home_opened`` (Messages tab → suggested prompts, Home tab →
the App Home view), ``app_context_changed`` (what the user looks at) and, for apps still on the
older assistant view, ``assistant_thread_started``.

Each turns the event into plain values and hands the work to the background: Slack gets its
acknowledgement at once, and the Web API calls follow it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.background import BackgroundTasks
from bot.home.service import AppHome, ContextEntity


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def handle_app_home_opened(
    body: Mapping[str, Any], event: Mapping[str, Any], home: AppHome, tasks: BackgroundTasks
) -> None:
    user, channel, tab = _text(event.get("user")), _text(event.get("channel")), event.get("tab")
    team = _text(body.get("team_id"))
    if tab == "messages" and channel:
        tasks.spawn(home.messages_opened(channel), name="suggested-prompts")
    elif tab == "home" and user and team:
        tasks.spawn(home.home_opened(team, user), name="app-home")


def handle_context_changed(
    body: Mapping[str, Any], event: Mapping[str, Any], home: AppHome, tasks: BackgroundTasks
) -> None:
    context = event.get("context")
    raw = context.get("entities") if isinstance(context, Mapping) else None
    entities = [
        ContextEntity(_text(e.get("type")), _text(e.get("value")))
        for e in raw or ()
        if isinstance(e, Mapping)
    ]
    channel, team = _text(event.get("channel")), _text(body.get("team_id"))
    if channel and team and entities:
        tasks.spawn(home.context_changed(team, channel, entities), name="context-prompts")


def handle_assistant_thread_started(
    event: Mapping[str, Any], home: AppHome, tasks: BackgroundTasks
) -> None:
    thread = event.get("assistant_thread")
    if not isinstance(thread, Mapping):
        return
    channel, thread_ts = _text(thread.get("channel_id")), _text(thread.get("thread_ts"))
    if channel and thread_ts:
        tasks.spawn(home.thread_started(channel, thread_ts), name="suggested-prompts")
