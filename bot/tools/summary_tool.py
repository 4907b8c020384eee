"""``summarize_thread``: the model summarizes the conversation's own thread, with the "Summarize
thread" shortcut's service (access rules, budgets, the thread read once, the usage ledger).

It takes no arguments: the thread is always the one the conversation is in, so the requester
can see it. The summary comes back to the model as the tool's result (bounded) for it to use
in its answer; the tool itself posts nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from bot.policy.decision import Refusal
from bot.summaries import SummaryRequest, ThreadSummaries
from bot.tools.base import ToolContext, ToolOutput

RESULT_MAX_CHARS = 8000
"""A summary is bounded by its own token limit already; this keeps the result bounded even if
a server ignores it."""

_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}


@dataclass(frozen=True)
class SummarizeThreadTool:
    summaries: ThreadSummaries

    name = "summarize_thread"
    title = "Summarizing this thread"
    description = (
        "Summarize the Slack thread this conversation is in (decisions, open questions, "
        "owners), read fresh from Slack, including messages you were not mentioned in. Use it "
        "when the user asks to summarize or recap this thread. Takes no arguments; it cannot "
        "read other threads or channels. Returns the summary for you to relay."
    )
    parameters: ClassVar[Mapping[str, Any]] = MappingProxyType(_PARAMETERS)
    needs_confirmation = False

    async def permit(self, arguments: Mapping[str, Any], context: ToolContext) -> Refusal | None:
        # The summaries service asks the access rules and the budgets itself, in ``run``.
        return None

    async def run(self, arguments: Mapping[str, Any], context: ToolContext) -> ToolOutput:
        result = await self.summaries.summary_text(
            SummaryRequest(
                team_id=context.team_id,
                channel_id=context.channel_id,
                thread_ts=context.thread_ts,
                user_id=context.user_id,
                in_thread=True,
                user_team_id=context.user_team_id,
                enterprise_id=context.enterprise_id,
            )
        )
        if not result.ok:
            return ToolOutput(f"No summary: {result.text}", ok=False)
        text = result.text
        if len(text) > RESULT_MAX_CHARS:
            text = text[:RESULT_MAX_CHARS].rstrip() + "\n[summary cut here: too long]"
        return ToolOutput(f"Summary of this thread:\n\n{text}")
