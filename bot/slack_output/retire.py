"""Retiring a reply that a dead process left behind, before its message is answered again.

The process that was streaming it died (or lost its lease), so nobody knows how much of the
answer reached Slack: perhaps a few words, perhaps all of it. The old message is closed if it
is still streaming and its text replaced by a short mark, so the fresh answer posted below is
the only full answer in the thread.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.slack_output.streaming import SlackReplies, slack_error

log = logging.getLogger(__name__)

RETIRED_MARK = "_⚠️ This answer was interrupted by a restart; a complete answer follows below._"


async def retire_reply(replies: SlackReplies, *, channel: str, ts: str) -> None:
    """Close and mark an interrupted reply; failures are logged, never raised."""
    target = {"channel": channel, "ts": ts}
    try:
        await replies.client.api_call("chat.stopStream", json=target)
    except SlackApiError as exc:
        # Not streaming any more (finished, timed out, or posted without streaming): fine.
        log.info("interrupted reply was not streaming (%s)", slack_error(exc))
    try:
        await replies.client.api_call("chat.update", json={**target, "text": RETIRED_MARK})
    except SlackApiError as exc:
        log.warning("could not mark the interrupted reply %s: %s", ts, slack_error(exc))
