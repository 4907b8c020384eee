"""``message_changed`` / ``message_deleted``: the stored turn follows the edit or is erased.
A quick database update before Slack is acknowledged; nothing is answered.

Most ``message_changed`` events are not a person editing: every streamed update of our own
answer fires one, and so does Slack adding a link preview (same text). Those never reach the
database."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.conversations.edits import MessageEdit, TurnEdits
from bot.listeners.events.message_payloads import mention_pattern

log = logging.getLogger(__name__)

EDIT_SUBTYPES = frozenset({"message_changed", "message_deleted"})


def _from_a_bot(message: object, bot_user_id: str | None) -> bool:
    if not isinstance(message, Mapping):
        return False
    if message.get("bot_id") or message.get("bot_profile"):
        return True
    return bool(bot_user_id) and message.get("user") == bot_user_id


def message_edit(
    body: Mapping[str, Any], event: Mapping[str, Any], bot_user_id: str | None
) -> MessageEdit | None:
    """The edit to apply to the stored turns, or None when there is nothing to change."""
    team_id = str(body.get("team_id") or event.get("team") or "")
    channel = str(event.get("channel") or "")
    changed, previous = event.get("message"), event.get("previous_message")
    if _from_a_bot(changed, bot_user_id) or _from_a_bot(previous, bot_user_id):
        return None
    if event.get("subtype") == "message_deleted":
        ts, text = str(event.get("deleted_ts") or ""), None
    else:
        if not isinstance(changed, Mapping):
            return None
        ts = str(changed.get("ts") or "")
        raw = str(changed.get("text") or "")
        if isinstance(previous, Mapping) and str(previous.get("text") or "") == raw:
            return None  # a link preview or attachment was added: the text is unchanged
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
