"""Feedback clicks under an answer: stored before Slack's acknowledgement, then thanked (to the
voter alone; the control stays for everyone else). A 👎 offers a "what went wrong?" modal."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.conversations.feedback import FeedbackComment, FeedbackService, FeedbackVote
from bot.slack_output.agent_surface import AgentSurface
from bot.slack_output.feedback_blocks import (
    COMMENT_ACTION_ID,
    COMMENT_BLOCK_ID,
    build_feedback_comment_view,
    parse_feedback_value,
)
from bot.slack_output.streaming import SlackReplies

_LEGACY_VOTES = {"answer_feedback_up": "up", "answer_feedback_down": "down"}


def feedback_vote(body: dict[str, Any]) -> FeedbackVote | None:
    """The vote a ``block_actions`` payload carries, or None if it is not one of ours."""
    action = (body.get("actions") or [{}])[0]
    value = str(action.get("value") or "")
    # Buttons posted before the vote moved into the value carry the answer's ts alone.
    legacy = _LEGACY_VOTES.get(str(action.get("action_id")))
    parsed = (
        (legacy, value) if legacy and value and ":" not in value else parse_feedback_value(value)
    )
    container = body.get("container") or {}
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
    user = body.get("user") or {}
    team_id = (body.get("team") or {}).get("id") or user.get("team_id")
    if not (parsed and channel_id and user.get("id") and team_id):
        return None
    value, answer_ts = parsed
    return FeedbackVote(str(team_id), str(channel_id), answer_ts, str(user["id"]), value)


async def handle_feedback_click(
    ack: AsyncAck,
    body: dict[str, Any],
    feedback: FeedbackService,
    replies: SlackReplies,
    surface: AgentSurface,
) -> None:
    """A click Slack saw acknowledged is a click stored; the thank-you follows the ack, and a
    👎 opens the comment modal at once (its trigger expires within seconds)."""
    vote = feedback_vote(body)
    if vote is not None:
        await feedback.record(vote)
    await ack()
    if vote is None:
        return
    message = body.get("message") or {}
    container = body.get("container") or {}
    thread_ts = message.get("thread_ts") or container.get("thread_ts")
    replies.tasks.spawn(
        replies.thank_for_feedback(
            channel=vote.channel_id, thread_ts=thread_ts, user_id=vote.user_id
        ),
        name="feedback-thanks",
    )
    trigger_id = body.get("trigger_id")
    if vote.value == "down" and trigger_id:
        metadata = {"team": vote.team_id, "channel": vote.channel_id, "ts": vote.answer_ts}
        replies.tasks.spawn(
            surface.open_view(str(trigger_id), build_feedback_comment_view(metadata)),
            name="feedback-comment-modal",
        )


def feedback_comment(body: dict[str, Any]) -> FeedbackComment | None:
    """The comment a ``view_submission`` of the feedback modal carries (None if empty)."""
    view = body.get("view") or {}
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    values = (view.get("state") or {}).get("values") or {}
    text = str((values.get(COMMENT_BLOCK_ID) or {}).get(COMMENT_ACTION_ID, {}).get("value") or "")
    user_id = (body.get("user") or {}).get("id")
    if not (text.strip() and user_id and isinstance(metadata, dict)):
        return None
    if not all(metadata.get(key) for key in ("team", "channel", "ts")):
        return None
    vote = FeedbackVote(
        str(metadata["team"]), str(metadata["channel"]), str(metadata["ts"]), str(user_id), "down"
    )
    return FeedbackComment(vote, text.strip())


async def handle_feedback_comment(
    ack: AsyncAck, body: dict[str, Any], feedback: FeedbackService
) -> None:
    """Store the comment with the 👎 it explains, then close the modal."""
    comment = feedback_comment(body)
    if comment is not None:
        await feedback.comment(comment)
    await ack()
