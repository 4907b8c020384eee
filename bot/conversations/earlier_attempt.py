"""Before a message is answered again, close what an earlier attempt left in its thread."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.values import IncomingMessage
from bot.inbox import UNKNOWN_TS, Work
from bot.slack_output.retire import ReplyRetirer
from bot.store.conversations_repo import MessageRepository
from bot.store.db import read_only_session


class EarlierAttempt:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], retirer: ReplyRetirer) -> None:
        self._sessions = sessions
        self._retirer = retirer

    async def retire(self, message: IncomingMessage, work: Work) -> None:
        """Retire every message the attempts before ``work`` recorded. One that died while
        opening a message (``UNKNOWN_TS``) left it unrecorded: look for it in the thread, after
        the message and before the next person's, among the bot's messages not stored."""
        for ts in work.reply_ts:
            if ts != UNKNOWN_TS:
                await self._retirer.retire(channel=message.channel_id, ts=ts)
        if UNKNOWN_TS not in work.reply_ts:
            return
        async with read_only_session(self._sessions) as session:
            stored = await MessageRepository(session).turns_after(
                (message.team_id, message.channel_id, message.thread_ts), message.ts
            )
        await self._retirer.retire_unrecorded(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            after_ts=message.ts,
            before_ts=stored.next_user_ts,
            recorded={*work.reply_ts, *stored.answer_ts},
        )
