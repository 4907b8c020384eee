"""The feedback control that ends every answer, and the "what went wrong?" modal after a 👎.

Slack's own control is a ``context_actions`` block with ``feedback_buttons`` (slack_sdk's
``ContextActionsBlock``); a Slack that refuses it (``invalid_blocks``) gets the older pair of
buttons. Both carry the vote and the answer's first-message ts, so a click names what it rates.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextActionsBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

__all__ = [
    "COMMENT_ACTION_ID",
    "COMMENT_BLOCK_ID",
    "COMMENT_CALLBACK_ID",
    "FEEDBACK_ACTIONS",
    "FEEDBACK_BLOCK_ID",
    "FEEDBACK_THANKS",
    "Block",
    "build_feedback_blocks",
    "build_feedback_comment_view",
    "feedback_value",
    "parse_feedback_value",
]

Block = dict[str, Any]

FEEDBACK_BLOCK_ID = "answer_feedback"
# The control's one action id and the older buttons' two; the value says which vote.
FEEDBACK_ACTIONS = ("answer_feedback", "answer_feedback_up", "answer_feedback_down")
FEEDBACK_THANKS = "Thanks for your feedback!"
COMMENT_CALLBACK_ID = "answer_feedback_comment"
COMMENT_BLOCK_ID = "comment"
COMMENT_ACTION_ID = "comment_text"
_COMMENT_MAX = 2_000
_LABELS = {"up": ("👍", "Good answer"), "down": ("👎", "Bad answer")}


def feedback_value(vote: str, answer_ts: str) -> str:
    """A button's value: the vote and the answer it rates."""
    return f"{vote}:{answer_ts}"


def parse_feedback_value(value: str) -> tuple[str, str] | None:
    """(vote, answer_ts) from a button's value, or None if it is not one of ours."""
    vote, _, answer_ts = value.partition(":")
    return (vote, answer_ts) if vote in _LABELS and answer_ts else None


def _button(vote: str, answer_ts: str) -> FeedbackButtonObject:
    emoji, label = _LABELS[vote]
    return FeedbackButtonObject(
        text=PlainTextObject(text=emoji, emoji=True),
        accessibility_label=label,
        value=feedback_value(vote, answer_ts),
    )


def build_feedback_blocks(answer_ts: str, *, native: bool = True) -> list[Block]:
    """Slack's feedback control (``native``) or the older buttons, naming the answer."""
    if native:
        control = FeedbackButtonsElement(
            action_id="answer_feedback",
            positive_button=_button("up", answer_ts),
            negative_button=_button("down", answer_ts),
        )
        return [ContextActionsBlock(block_id=FEEDBACK_BLOCK_ID, elements=[control]).to_dict()]
    buttons = [
        ButtonElement(
            action_id=f"answer_feedback_{vote}",
            text=PlainTextObject(text=emoji, emoji=True),
            accessibility_label=label,
            value=feedback_value(vote, answer_ts),
        )
        for vote, (emoji, label) in _LABELS.items()
    ]
    return [ActionsBlock(block_id=FEEDBACK_BLOCK_ID, elements=buttons).to_dict()]


def build_feedback_comment_view(metadata: dict[str, str]) -> dict[str, Any]:
    """The modal a 👎 opens: one optional comment; ``metadata`` names the vote it belongs to."""
    comment = InputBlock(
        block_id=COMMENT_BLOCK_ID,
        optional=True,
        label=PlainTextObject(text="What went wrong?"),
        element=PlainTextInputElement(
            action_id=COMMENT_ACTION_ID,
            multiline=True,
            max_length=_COMMENT_MAX,
            placeholder=PlainTextObject(text="Wrong facts, missed the point, too long…"),
        ),
    )
    view = View(
        type="modal",
        callback_id=COMMENT_CALLBACK_ID,
        title=PlainTextObject(text="Answer feedback"),
        submit=PlainTextObject(text="Send"),
        close=PlainTextObject(text="Skip"),
        private_metadata=json.dumps(metadata, separators=(",", ":")),
        blocks=[comment],
    )
    return view.to_dict()
