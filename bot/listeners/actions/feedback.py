"""👍/👎 clicks under an answer: stored before Slack's acknowledgement, then thanked."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.conversations.feedback import FeedbackService, FeedbackVote
from bot.slack_output.feedback_blocks import FEEDBACK_ACTIONS
from bot.slack_output.streaming import SlackReplies


def feedback_vote(body: dict[str, Any]) -> FeedbackVote | None:
    """The vote a ``block_actions`` payload carries, or None if it is not one of ours."""
    action = (body.get("actions") or [{}])[0]
    value = FEEDBACK_ACTIONS.get(str(action.get("action_id")))
    container = body.get("container") or {}
    answer_ts = action.get("value") or container.get("message_ts")
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
    user = body.get("user") or {}
    team_id = (body.get("team") or {}).get("id") or user.get("team_id")
    if not (value and answer_ts and channel_id and user.get("id") and team_id):
        return None
    return FeedbackVote(str(team_id), str(channel_id), str(answer_ts), str(user["id"]), value)


async def handle_feedback_click(
    ack: AsyncAck, body: dict[str, Any], feedback: FeedbackService, replies: SlackReplies
) -> None:
    """A click Slack saw acknowledged is a click stored; the thank-you follows the ack."""
    vote = feedback_vote(body)
    if vote is not None:
        await feedback.record(vote)
    await ack()
    message = body.get("message") or {}
    if vote is None or not message.get("ts"):
        return
    replies.tasks.spawn(
        replies.thank_for_feedback(
            channel=vote.channel_id,
            ts=str(message["ts"]),
            text=str(message.get("text") or ""),
            blocks=list(message.get("blocks") or []),
            user_id=vote.user_id,
        ),
        name="feedback-thanks",
    )
