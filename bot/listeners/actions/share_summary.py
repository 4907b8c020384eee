"""The "Share in thread" button under a private thread summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.summaries import ShareRequest, ThreadSummaries


def share_request(body: Mapping[str, Any]) -> ShareRequest | None:
    """Who clicked which summary's button, or None for a payload that does not say."""
    action = (body.get("actions") or [{}])[0]
    user = body.get("user") or {}
    container = body.get("container") or {}
    team_id = (body.get("team") or {}).get("id") or user.get("team_id")
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
    value = str(action.get("value") or "")
    if not (value.isdigit() and team_id and channel_id and user.get("id")):
        return None
    return ShareRequest(str(team_id), str(channel_id), str(user["id"]), int(value))


async def handle_share_click(
    ack: AsyncAck, body: dict[str, Any], summaries: ThreadSummaries
) -> None:
    await ack()
    request = share_request(body)
    if request is not None:
        summaries.share(request)
