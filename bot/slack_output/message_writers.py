"""One Slack message of an answer, written by chat streaming or, where Slack lacks it, by updates.

``NativeStream``: ``chat.startStream`` → ``chat.appendStream`` → ``chat.stopStream`` with
standard Markdown (``markdown_text``). ``UpdatedMessage``: ``chat.postMessage`` then
``chat.update`` with the whole message each time. A Slack without streaming may be old enough
to lack the ``markdown`` block too, so the update path sends a ``markdown`` block (standard
Markdown, tables and headings intact) and, the first time Slack answers ``invalid_blocks``,
switches for the rest of the process to mrkdwn section blocks converted by ``to_mrkdwn``, which
every Slack renders. Either way ``text`` carries a mrkdwn preview for notifications.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError
from bot.slack_output.feedback_blocks import Block
from bot.slack_output.markdown_split import split_markdown
from bot.slack_output.mrkdwn import SECTION_TEXT_LIMIT, plain_preview, to_mrkdwn
from bot.slack_output.slack_calls import call_slack

__all__ = [
    "MessageWriter",
    "NativeStream",
    "ReplyTarget",
    "SlackSupport",
    "UpdatedMessage",
    "update_content",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplyTarget:
    """The thread an answer goes to, and who asked (Slack requires it to stream in channels)."""

    channel: str
    thread_ts: str
    recipient_user_id: str
    recipient_team_id: str


@dataclass
class SlackSupport:
    """What this Slack offers, learnt from its refusals and remembered for the process."""

    streaming: bool = True
    markdown_block: bool = True
    status: bool = True


class MessageWriter(Protocol):
    ts: str

    async def push(self, markdown: str) -> None:
        """Add ``markdown`` to the message."""

    async def close(self, markdown: str, blocks: list[Block]) -> None:
        """Add the last ``markdown`` and ``blocks`` (buttons) and finish the message."""


class NativeStream:
    def __init__(self, client: AsyncWebClient, channel: str, ts: str) -> None:
        self._client = client
        self.channel = channel
        self.ts = ts

    @classmethod
    async def open(cls, client: AsyncWebClient, target: ReplyTarget, markdown: str) -> NativeStream:
        data = await call_slack(
            client,
            "chat.startStream",
            channel=target.channel,
            thread_ts=target.thread_ts,
            markdown_text=markdown,
            recipient_user_id=target.recipient_user_id,
            recipient_team_id=target.recipient_team_id,
        )
        return cls(client, str(data.get("channel") or target.channel), str(data["ts"]))

    async def push(self, markdown: str) -> None:
        await call_slack(
            self._client,
            "chat.appendStream",
            channel=self.channel,
            ts=self.ts,
            markdown_text=markdown,
        )

    async def close(self, markdown: str, blocks: list[Block]) -> None:
        await call_slack(
            self._client,
            "chat.stopStream",
            channel=self.channel,
            ts=self.ts,
            markdown_text=markdown or None,
            blocks=blocks or None,
        )


def update_content(markdown: str, blocks: list[Block], *, markdown_block: bool) -> dict[str, Any]:
    """``text`` and ``blocks`` showing ``markdown`` (≤ 12,000 units) followed by ``blocks``."""
    if markdown_block:
        body: list[Block] = [{"type": "markdown", "text": markdown}]
    else:
        parts = split_markdown(to_mrkdwn(markdown), SECTION_TEXT_LIMIT)
        body = [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in parts]
    return {"text": plain_preview(markdown), "blocks": [*body, *blocks]}


async def _send(
    client: AsyncWebClient,
    support: SlackSupport,
    method: str,
    content: tuple[str, list[Block]],
    **where: str,
) -> dict[str, Any]:
    markdown, blocks = content
    if support.markdown_block:
        fields = update_content(markdown, blocks, markdown_block=True)
        try:
            return await call_slack(client, method, **where, **fields)
        except SlackDeliveryError as exc:
            if exc.error != "invalid_blocks":
                raise
            log.warning("Slack refused the markdown block; sending mrkdwn from now on")
            support.markdown_block = False
    fields = update_content(markdown, blocks, markdown_block=False)
    return await call_slack(client, method, **where, **fields)


class UpdatedMessage:
    def __init__(
        self, client: AsyncWebClient, support: SlackSupport, channel: str, ts: str, shown: str
    ) -> None:
        self._client = client
        self._support = support
        self.channel = channel
        self.ts = ts
        self.shown = shown

    @classmethod
    async def open(
        cls, client: AsyncWebClient, support: SlackSupport, target: ReplyTarget, markdown: str
    ) -> UpdatedMessage:
        data = await _send(
            client,
            support,
            "chat.postMessage",
            (markdown, []),
            channel=target.channel,
            thread_ts=target.thread_ts,
        )
        channel = str(data.get("channel") or target.channel)
        return cls(client, support, channel, str(data["ts"]), markdown)

    async def push(self, markdown: str) -> None:
        await self.close(markdown, [])

    async def close(self, markdown: str, blocks: list[Block]) -> None:
        if not (markdown or blocks):
            return
        self.shown += markdown
        content = (self.shown, blocks)
        await _send(
            self._client, self._support, "chat.update", content, channel=self.channel, ts=self.ts
        )
