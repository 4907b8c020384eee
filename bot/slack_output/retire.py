"""Retiring a reply that a dead process left behind, before its message is answered again.

The process that was streaming it died (or lost its lease), so nobody knows how much of the
answer reached Slack: perhaps a few words, perhaps all of it. The old message is closed if it
is still streaming and its text replaced by a short mark, so the fresh answer posted below is
the only full answer in the thread.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from decimal import Decimal

from bot.errors import BotError
from bot.slack_output.slack_calls import call_slack
from bot.slack_output.streaming import SlackReplies

log = logging.getLogger(__name__)

RETIRED_MARK = "_⚠️ This answer was interrupted; a complete answer follows below._"


class ReplyRetirer:
    """Retires interrupted replies; knows the bot's own user id once it has asked Slack."""

    def __init__(self, replies: SlackReplies) -> None:
        self._client = replies.client
        self._bot_user_id: str | None = None

    async def retire(self, *, channel: str, ts: str) -> None:
        """Close and mark an interrupted reply. Best effort: no failure (a refusal, Slack out
        of reach) may stop the fresh answer, so errors are logged, never raised."""
        target = {"channel": channel, "ts": ts}
        try:
            await call_slack(self._client, "chat.stopStream", **target)
        except BotError as exc:
            # Not streaming any more (finished, timed out, or posted without streaming): fine.
            log.info("interrupted reply was not streaming (%s)", _code(exc))
        try:
            await call_slack(self._client, "chat.update", **target, text=RETIRED_MARK)
        except BotError as exc:
            log.warning("could not mark the interrupted reply %s: %s", ts, _code(exc))

    async def retire_unrecorded(
        self,
        *,
        channel: str,
        thread_ts: str,
        after_ts: str,
        before_ts: str | None,
        recorded: Collection[str],
    ) -> None:
        """Retire the bot's messages in the thread between ``after_ts`` (the message being
        answered) and ``before_ts`` (the next person's message, if any) that are not
        ``recorded`` (by the attempt, or stored as answers): an attempt died after marking that
        a message was about to open (from the moment it stored the user turn) and before the
        bot recorded its ts. Rare (a crash in that window), so one bounded read of the thread
        is worth it. A notice the dead attempt posted in that window (an attachment note, say)
        is retired too, and the retry posts it again. Best effort."""
        try:
            me = await self._user_id()
            data = await call_slack(
                self._client,
                "conversations.replies",
                channel=channel,
                ts=thread_ts,
                oldest=after_ts,
                latest=before_ts,
                inclusive=False,
                limit=100,
            )
        except BotError as exc:
            log.warning("could not look for an unrecorded interrupted reply: %s", _code(exc))
            return
        after = Decimal(after_ts)
        for found in data.get("messages") or []:
            ts = str(found.get("ts") or "")
            if found.get("user") == me and ts not in recorded and Decimal(ts) > after:
                await self.retire(channel=channel, ts=ts)

    async def _user_id(self) -> str:
        if self._bot_user_id is None:
            data = await call_slack(self._client, "auth.test")
            self._bot_user_id = str(data.get("user_id") or "")
        return self._bot_user_id


def _code(exc: BotError) -> str:
    """Slack's error code, never the message text (which could carry what was said)."""
    return getattr(exc, "error", type(exc).__name__)
