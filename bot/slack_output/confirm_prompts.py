"""The Approve / Deny question asked before a tool marked for confirmation runs: a message in
the thread addressed to the requester, replaced by the decision once it is made."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_output.feedback_blocks import Block
from bot.slack_output.safe_text import escape_mrkdwn, without_broadcasts
from bot.slack_output.slack_calls import call_slack
from bot.tools.base import ToolContext

CONFIRM_BLOCK_ID = "tool_confirm"
APPROVE_ACTION = "tool_confirm_approve"
DENY_ACTION = "tool_confirm_deny"


def build_confirm_blocks(question: str, confirmation_id: str) -> list[Block]:
    buttons = [
        {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label},
            "value": confirmation_id,
            **({"style": style} if style else {}),
        }
        for action_id, label, style in (
            (APPROVE_ACTION, "Approve", "primary"),
            (DENY_ACTION, "Deny", "danger"),
        )
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": question}},
        {"type": "actions", "block_id": CONFIRM_BLOCK_ID, "elements": buttons},
    ]


class SlackConfirmationPrompts:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def ask(self, context: ToolContext, confirmation_id: str, what: str) -> str:
        question = without_broadcasts(
            f"<@{context.user_id}>, may I run `{escape_mrkdwn(what)}`? "
            "Only you can approve or deny."
        )
        data = await call_slack(
            self._client,
            "chat.postMessage",
            channel=context.channel_id,
            thread_ts=context.thread_ts,
            text=question,
            blocks=build_confirm_blocks(question, confirmation_id),
        )
        return str(data["ts"])

    async def settle(self, context: ToolContext, ts: str, what: str, approved: bool) -> None:
        decision = "✅ Approved" if approved else "🚫 Not approved"
        text = without_broadcasts(f"{decision}: `{escape_mrkdwn(what)}`")
        await call_slack(
            self._client, "chat.update", channel=context.channel_id, ts=ts, text=text, blocks=[]
        )

    async def not_yours(self, *, channel: str, user_id: str, requester: str | None) -> None:
        """Tell someone who clicked another person's question that it is not theirs."""
        who = f"<@{requester}>" if requester else "the person who asked"
        await call_slack(
            self._client,
            "chat.postEphemeral",
            channel=channel,
            user=user_id,
            text=f"Only {who} can approve or deny this.",
        )
