"""One Slack message of an answer, written by chat streaming or, where Slack lacks it, by updates.

``NativeStream``: ``chat.startStream`` → ``chat.appendStream`` → ``chat.stopStream`` with
standard Markdown (``markdown_text``). ``UpdatedMessage``: ``chat.postMessage`` then
``chat.update`` with the whole message each time. A Slack without streaming may be old enough
to lack the ``markdown`` block too, so the update path sends a ``markdown`` block (standard
Markdown, tables and headings intact) and, the first time Slack answers ``invalid_blocks``,
switches for the rest of the process to mrkdwn section blocks converted by ``to_mrkdwn``, which
every Slack renders. Either way ``text`` carries a mrkdwn preview for notifications.

Steps of work (``TaskStep``) go natively as ``task_update`` chunks (task cards in the streamed
message, ``task_display_mode: timeline``); the update path shows the same steps as a line of text
each, in a context block above the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.conversations.progress import TaskState, TaskStep
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
    "task_chunk",
    "update_content",
]

log = logging.getLogger(__name__)

_TASK_MARKS = {
    TaskState.PENDING: "⏳",
    TaskState.IN_PROGRESS: "🔄",
    TaskState.COMPLETE: "✅",
    TaskState.ERROR: "⚠️",
}


def task_chunk(step: TaskStep) -> dict[str, str]:
    """A ``task_update`` chunk: one task card, created or moved on by its ``id``."""
    chunk = {"type": "task_update", "id": step.task_id, "title": step.title, "status": step.state}
    if step.details:
        chunk["details"] = step.details
    return chunk


def _task_line(step: TaskStep) -> str:
    details = f" — {step.details}" if step.details else ""
    return f"{_TASK_MARKS[step.state]} {step.title}{details}"


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
    feedback_control: bool = True
    task_chunks: bool = True


class MessageWriter(Protocol):
    ts: str

    async def push(self, markdown: str) -> None:
        """Add ``markdown`` to the message."""

    async def close(self, markdown: str, blocks: list[Block]) -> None:
        """Add the last ``markdown`` and ``blocks`` (buttons) and finish the message."""

    async def task(self, step: TaskStep) -> None:
        """Show ``step`` (a new task, or a known one in a new state)."""


class NativeStream:
    def __init__(self, client: AsyncWebClient, channel: str, ts: str) -> None:
        self._client = client
        self.channel = channel
        self.ts = ts

    @classmethod
    async def open(
        cls, client: AsyncWebClient, target: ReplyTarget, markdown: str, step: TaskStep | None
    ) -> NativeStream:
        """A plain answer opens as plain Markdown; one that starts with a step of work opens
        with its task card (and the timeline display, so later text follows the cards)."""
        data = await call_slack(
            client,
            "chat.startStream",
            channel=target.channel,
            thread_ts=target.thread_ts,
            markdown_text=markdown or None,
            chunks=None if step is None else [task_chunk(step)],
            task_display_mode=None if step is None else "timeline",
            recipient_user_id=target.recipient_user_id,
            recipient_team_id=target.recipient_team_id,
        )
        return cls(client, str(data.get("channel") or target.channel), str(data["ts"]))

    async def task(self, step: TaskStep) -> None:
        await self._append(chunks=[task_chunk(step)])

    async def push(self, markdown: str) -> None:
        await self._append(markdown_text=markdown)

    async def _append(self, **content: Any) -> None:
        await call_slack(
            self._client, "chat.appendStream", channel=self.channel, ts=self.ts, **content
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


def update_content(
    markdown: str, blocks: list[Block], *, markdown_block: bool, steps: Sequence[TaskStep] = ()
) -> dict[str, Any]:
    """``text`` and ``blocks`` showing ``steps`` (a line each), ``markdown`` (≤ 12,000 units)
    and then ``blocks``."""
    body: list[Block] = []
    if steps:
        lines = "\n".join(_task_line(step) for step in steps)
        body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": lines}]})
    if markdown and markdown_block:
        body.append({"type": "markdown", "text": markdown})
    elif markdown:
        parts = split_markdown(to_mrkdwn(markdown), SECTION_TEXT_LIMIT)
        body += [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in parts]
    preview = plain_preview(markdown) or (steps[-1].title if steps else "")
    return {"text": preview, "blocks": [*body, *blocks]}


async def _send(
    client: AsyncWebClient,
    support: SlackSupport,
    method: str,
    content: tuple[str, list[Block], Sequence[TaskStep]],
    **where: str,
) -> dict[str, Any]:
    markdown, blocks, steps = content
    if support.markdown_block:
        fields = update_content(markdown, blocks, markdown_block=True, steps=steps)
        try:
            return await call_slack(client, method, **where, **fields)
        except SlackDeliveryError as exc:
            if exc.error != "invalid_blocks":
                raise
            log.warning("Slack refused the markdown block; sending mrkdwn from now on")
            support.markdown_block = False
    fields = update_content(markdown, blocks, markdown_block=False, steps=steps)
    return await call_slack(client, method, **where, **fields)


class UpdatedMessage:
    def __init__(
        self,
        client: AsyncWebClient,
        support: SlackSupport,
        channel: str,
        ts: str,
        shown: str,
        steps: dict[str, TaskStep],
    ) -> None:
        self._client = client
        self._support = support
        self.channel = channel
        self.ts = ts
        self.shown = shown
        self._steps = steps  # by task id, in the order the tasks first appeared

    @classmethod
    async def open(
        cls,
        client: AsyncWebClient,
        support: SlackSupport,
        target: ReplyTarget,
        markdown: str,
        step: TaskStep | None,
    ) -> UpdatedMessage:
        steps = {} if step is None else {step.task_id: step}
        data = await _send(
            client,
            support,
            "chat.postMessage",
            (markdown, [], list(steps.values())),
            channel=target.channel,
            thread_ts=target.thread_ts,
        )
        channel = str(data.get("channel") or target.channel)
        return cls(client, support, channel, str(data["ts"]), markdown, steps)

    async def push(self, markdown: str) -> None:
        await self.close(markdown, [])

    async def task(self, step: TaskStep) -> None:
        self._steps[step.task_id] = step
        await self._update(self.shown, [])

    async def close(self, markdown: str, blocks: list[Block]) -> None:
        if markdown or blocks:
            await self._update(self.shown + markdown, blocks)

    async def _update(self, shown: str, blocks: list[Block]) -> None:
        """Show ``shown`` (kept only once Slack took it, so a refused update can be retried)."""
        content = (shown, blocks, list(self._steps.values()))
        await _send(
            self._client, self._support, "chat.update", content, channel=self.channel, ts=self.ts
        )
        self.shown = shown
