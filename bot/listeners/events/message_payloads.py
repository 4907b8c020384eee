"""Turning Slack's event payloads into the domain's typed values (the only place that reads them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.conversations.values import IncomingFile, IncomingMessage

# Subtypes that are still a person talking; every other subtype (edits, deletes, joins, bots…)
# never triggers an answer.
_ANSWERABLE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def mention_pattern(bot_user_id: str) -> re.Pattern[str]:
    return re.compile(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>")


def _files(event: Mapping[str, Any]) -> tuple[IncomingFile, ...]:
    return tuple(
        IncomingFile(
            id=str(f.get("id", "")),
            name=str(f.get("name", "")),
            mimetype=str(f.get("mimetype", "")),
            size=int(f.get("size") or 0),
            url_private=str(f.get("url_private_download") or f.get("url_private") or ""),
        )
        for f in event.get("files") or ()
        if isinstance(f, Mapping)
    )


def incoming_message(
    body: Mapping[str, Any], event: Mapping[str, Any], bot_user_id: str | None
) -> IncomingMessage | None:
    """The message the bot should consider answering, or None when it never should."""
    if event.get("subtype") not in _ANSWERABLE_SUBTYPES:
        return None
    user = event.get("user")
    if not user or event.get("bot_id") or event.get("bot_profile") or user == bot_user_id:
        return None
    ts = str(event.get("ts", ""))
    channel = str(event.get("channel", ""))
    event_id = str(body.get("event_id", ""))
    team_id = str(body.get("team_id") or event.get("team") or "")
    if not (ts and channel and event_id and team_id):
        return None
    text = str(event.get("text") or "")
    mention = mention_pattern(bot_user_id) if bot_user_id else None
    is_dm = event.get("channel_type") == "im"
    is_mention_event = event.get("type") == "app_mention"
    thread_ts = str(event.get("thread_ts") or ts)
    if not (is_dm or is_mention_event) and thread_ts == ts:
        return None  # a top-level channel message: only a mention (its own event) starts a thread
    return IncomingMessage(
        event_id=event_id,
        team_id=team_id,
        enterprise_id=body.get("enterprise_id") or None,
        channel_id=channel,
        is_dm=is_dm,
        user_id=str(user),
        text=(mention.sub("", text) if mention else text).strip(),
        ts=ts,
        thread_ts=thread_ts,
        mentioned=is_mention_event or bool(mention and mention.search(text)),
        files=_files(event),
        user_team_id=str(event.get("user_team") or event.get("team") or "") or None,
    )
