"""Telling someone the bot will not do what they asked: in the thread, or (``private``) to them
alone, ephemeral in the thread, or in the bot's DM where it cannot post."""

from __future__ import annotations

from bot.policy.decision import Refusal
from bot.slack_output.streaming import SlackReplies
from bot.slack_output.user_notes import UserNotes


class SlackRefusals:
    def __init__(self, replies: SlackReplies, notes: UserNotes) -> None:
        self._replies = replies
        self._notes = notes

    async def deliver(
        self, *, channel: str, thread_ts: str | None, user_id: str, refusal: Refusal
    ) -> None:
        if refusal.private or thread_ts is None:
            await self._notes.tell(
                channel=channel, user_id=user_id, text=refusal.notice, thread_ts=thread_ts
            )
        else:
            await self._replies.post_notice(
                channel=channel, thread_ts=thread_ts, text=refusal.notice
            )
