"""The 👍/👎 buttons that end every answer, and the thank-you that replaces them."""

from __future__ import annotations

from typing import Any

__all__ = [
    "FEEDBACK_ACTIONS",
    "FEEDBACK_BLOCK_ID",
    "FEEDBACK_THANKS",
    "Block",
    "build_feedback_blocks",
    "build_feedback_thanks_blocks",
]

Block = dict[str, Any]

FEEDBACK_BLOCK_ID = "answer_feedback"
# action_id → stored value; the button's own value is the ts of the answer's first message.
FEEDBACK_ACTIONS = {"answer_feedback_up": "up", "answer_feedback_down": "down"}
FEEDBACK_THANKS = "Thanks for your feedback!"
_LABELS = {"up": ("👍", "Good answer"), "down": ("👎", "Bad answer")}


def build_feedback_blocks(answer_ts: str) -> list[Block]:
    """An actions block with two buttons; ``answer_ts`` names the answer (its first message)."""
    buttons = [
        {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": _LABELS[value][0], "emoji": True},
            "accessibility_label": _LABELS[value][1],
            "value": answer_ts,
        }
        for action_id, value in FEEDBACK_ACTIONS.items()
    ]
    return [{"type": "actions", "block_id": FEEDBACK_BLOCK_ID, "elements": buttons}]


def build_feedback_thanks_blocks(blocks: list[Block]) -> list[Block]:
    """A message's blocks with the feedback buttons replaced by a thank-you note."""
    kept = [block for block in blocks if block.get("block_id") != FEEDBACK_BLOCK_ID]
    thanks = {"type": "mrkdwn", "text": FEEDBACK_THANKS}
    return [*kept, {"type": "context", "block_id": FEEDBACK_BLOCK_ID, "elements": [thanks]}]
