"""A thread summary in Slack: first shown only to the person who asked (``chat.postEphemeral``)
with a "Share in thread" button, then, if they click it, posted in the thread.

The summary is the model's Markdown, rendered as mrkdwn section blocks, which every Slack shows
and where nothing the model wrote can ping anyone (``to_mrkdwn`` escapes it)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_output.feedback_blocks import Block
from bot.slack_output.message_writers import update_content
from bot.slack_output.slack_calls import call_slack

__all__ = ["SHARE_SUMMARY_ACTION", "SummaryMessages", "build_summary_blocks"]

SHARE_SUMMARY_ACTION = "thread_summary_share"
"""The button's ``action_id``; its ``value`` is the stored summary's id."""
_TITLE = "Summary of this thread"


def build_summary_blocks(markdown: str, *, share_id: int | None) -> tuple[str, list[Block]]:
    """Notification text and blocks: a title, the summary, and (privately) the share button."""
    content = update_content(markdown, [], markdown_block=False)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": _TITLE}},
        *content["blocks"],
    ]
    if share_id is not None:
        blocks += [
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Only you can see this summary."}],
            },
            {
                "type": "actions",
                "block_id": "thread_summary",
                "elements": [
                    {
                        "type": "button",
                        "action_id": SHARE_SUMMARY_ACTION,
                        "text": {"type": "plain_text", "text": "Share in thread"},
                        "style": "primary",
                        "value": str(share_id),
                    }
                ],
            },
        ]
    return f"{_TITLE}: {content['text']}", blocks


class SummaryMessages:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def show_privately(
        self,
        *,
        channel: str,
        thread_ts: str | None,
        user_id: str,
        markdown: str,
        share_id: int,
    ) -> None:
        text, blocks = build_summary_blocks(markdown, share_id=share_id)
        await call_slack(
            self._client,
            "chat.postEphemeral",
            channel=channel,
            user=user_id,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
        )

    async def share(self, *, channel: str, thread_ts: str, markdown: str) -> str:
        """Post the summary in the thread; the new message's ts."""
        text, blocks = build_summary_blocks(markdown, share_id=None)
        data = await call_slack(
            self._client,
            "chat.postMessage",
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
        )
        return str(data.get("ts") or "")
