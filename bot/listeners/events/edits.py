"""``message_changed`` / ``message_deleted``: the stored turn follows the edit or is erased.
A quick database update before Slack is acknowledged; nothing is answered."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.conversations.edits import MessageEdit, TurnEdits
from bot.listeners.events.message_payloads import mention_pattern

log = logging.getLogger(__name__)

EDIT_SUBTYPES = frozenset({"message_changed", "message_deleted"})


def message_edit(
    body: Mapping[str, Any], event: Mapping[str, Any], bot_user_id: str | None
) -> MessageEdit | None:
    team_id = str(body.get("team_id") or event.get("team") or "")
    channel = str(event.get("channel") or "")
    if event.get("subtype") == "message_deleted":
        ts, text = str(event.get("deleted_ts") or ""), None
    else:
        changed = event.get("message")
        if not isinstance(changed, Mapping):
            return None
        ts = str(changed.get("ts") or "")
        raw = str(changed.get("text") or "")
        text = (mention_pattern(bot_user_id).sub("", raw) if bot_user_id else raw).strip()
    if not (team_id and channel and ts):
        return None
    return MessageEdit(team_id, channel, ts, text)


async def handle_message_edit(
    body: Mapping[str, Any], event: Mapping[str, Any], bot_user_id: str | None, edits: TurnEdits
) -> None:
    edit = message_edit(body, event, bot_user_id)
    if edit is None:
        return
    changed = await edits.apply(edit)
    if changed:
        log.info("stored turn %s", "erased" if edit.text is None else "edited")
