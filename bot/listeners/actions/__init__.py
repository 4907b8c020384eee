"""Interactive components (``block_actions``, ``view_submission``): one file per concern, wired
here."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.conversations.feedback import FeedbackService
from bot.listeners.actions.feedback import handle_feedback_click, handle_feedback_comment
from bot.listeners.actions.share_summary import handle_share_click
from bot.listeners.actions.tool_confirm import handle_confirm_click
from bot.slack_output.agent_surface import AgentSurface
from bot.slack_output.confirm_prompts import (
    APPROVE_ACTION,
    DENY_ACTION,
    SlackConfirmationPrompts,
)
from bot.slack_output.feedback_blocks import COMMENT_CALLBACK_ID, FEEDBACK_ACTIONS
from bot.slack_output.streaming import SlackReplies
from bot.slack_output.summary_messages import SHARE_SUMMARY_ACTION
from bot.summaries import ThreadSummaries
from bot.tools.confirm import Confirmations

_FEEDBACK = re.compile("^(" + "|".join(map(re.escape, FEEDBACK_ACTIONS)) + ")$")
_CONFIRM = re.compile(f"^({APPROVE_ACTION}|{DENY_ACTION})$")


def register(
    app: AsyncApp,
    feedback: FeedbackService,
    replies: SlackReplies,
    surface: AgentSurface,
    confirmations: Confirmations,
    prompts: SlackConfirmationPrompts,
    summaries: ThreadSummaries,
) -> None:
    async def on_feedback(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handle_feedback_click(ack, body, feedback, replies, surface)

    async def on_comment(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handle_feedback_comment(ack, body, feedback)

    async def on_confirm(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handle_confirm_click(ack, body, confirmations, prompts)

    async def on_share_summary(ack: AsyncAck, body: dict[str, Any]) -> None:
        await handle_share_click(ack, body, summaries)

    app.action(_FEEDBACK)(on_feedback)
    app.view(COMMENT_CALLBACK_ID)(on_comment)
    app.action(_CONFIRM)(on_confirm)
    app.action(SHARE_SUMMARY_ACTION)(on_share_summary)
