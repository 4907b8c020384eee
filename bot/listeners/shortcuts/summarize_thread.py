"""The "Summarize thread" message shortcut: acknowledged at once, summarized in the background."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.summaries import SummaryRequest, ThreadSummaries

SUMMARIZE_THREAD = "summarize_thread"
"""The shortcut's ``callback_id`` (manifest.yml, ``features.shortcuts``)."""


def summary_request(body: Mapping[str, Any]) -> SummaryRequest | None:
    """The thread a ``message_action`` payload is about, or None if the payload lacks it."""
    message = body.get("message") or {}
    user = body.get("user") or {}
    ts = str(message.get("ts") or body.get("message_ts") or "")
    thread_ts = str(message.get("thread_ts") or ts)
    team_id = (body.get("team") or {}).get("id") or user.get("team_id")
    channel_id = (body.get("channel") or {}).get("id")
    if not (ts and team_id and channel_id and user.get("id")):
        return None
    return SummaryRequest(
        team_id=str(team_id),
        channel_id=str(channel_id),
        thread_ts=thread_ts,
        user_id=str(user["id"]),
        in_thread=thread_ts != ts,
        user_team_id=str(user["team_id"]) if user.get("team_id") else None,
        enterprise_id=str(enterprise["id"]) if (enterprise := body.get("enterprise")) else None,
    )


async def handle_summarize_thread(
    ack: AsyncAck, body: dict[str, Any], summaries: ThreadSummaries
) -> None:
    await ack()
    request = summary_request(body)
    if request is not None:
        summaries.request(request)
