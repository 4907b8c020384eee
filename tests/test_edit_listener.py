"""``message_changed`` / ``message_deleted`` at the Slack edge: only a person's real edit (or
delete) reaches the database; our own streamed updates and unchanged text never do."""

from __future__ import annotations

from typing import Any

import pytest

from bot.conversations.edits import MessageEdit
from bot.listeners.events.edits import handle_message_edit

BODY = {"team_id": "T0001"}


class RecordingTurnEdits:
    """Stands in for ``TurnEdits``: records what would have been written."""

    def __init__(self) -> None:
        self.applied: list[MessageEdit] = []

    async def apply(self, edit: MessageEdit) -> int:
        self.applied.append(edit)
        return 1


def _changed(message: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C0001",
        "message": {"type": "message", "ts": "1.1", **message},
        "previous_message": {"type": "message", "ts": "1.1", **previous},
    }


async def _apply(event: dict[str, Any]) -> list[MessageEdit]:
    edits = RecordingTurnEdits()
    await handle_message_edit(BODY, event, "U0BOT", edits)  # type: ignore[arg-type]
    return edits.applied


@pytest.mark.parametrize(
    "event",
    [
        # Our own streamed answer growing: Slack sends these for every update.
        _changed({"bot_id": "B0BOT", "text": "Hel"}, {"bot_id": "B0BOT", "text": "He"}),
        _changed({"user": "U0BOT", "text": "Hello"}, {"user": "U0BOT", "text": "Hel"}),
        _changed({"user": "U0USER", "text": "x"}, {"bot_id": "B0OTHER", "text": "y"}),
        # A link preview added to a person's message: same text.
        _changed(
            {"user": "U0USER", "text": "see <https://a.b>"},
            {"user": "U0USER", "text": "see <https://a.b>"},
        ),
        # Our own answer deleted: not a stored user turn.
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C0001",
            "deleted_ts": "1.1",
            "previous_message": {"type": "message", "bot_id": "B0BOT", "text": "answer"},
        },
    ],
    ids=["bot-id", "bot-user", "previously-a-bot", "same-text", "bot-deleted"],
)
async def test_bot_messages_and_unchanged_text_change_nothing(event: dict[str, Any]) -> None:
    assert await _apply(event) == []


async def test_a_persons_edit_and_delete_are_applied() -> None:
    edited = _changed(
        {"user": "U0USER", "text": "<@U0BOT> 2+2?"}, {"user": "U0USER", "text": "1+1?"}
    )
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": "C0001",
        "deleted_ts": "1.1",
        "previous_message": {"user": "U0USER", "text": "secret"},
    }
    assert await _apply(edited) == [MessageEdit("T0001", "C0001", "1.1", "2+2?")]
    assert await _apply(deleted) == [MessageEdit("T0001", "C0001", "1.1", None)]
