"""Catch-up: mentioned mid-thread in a thread it has never seen, the bot reads that thread once
so its answer knows the discussion. Slack's ``conversations.replies`` is heavily rate-limited,
so the thread is read at most once per conversation and the store is the history afterwards."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.progress import Progress, TaskState
from bot.conversations.tokens import TokenCounter
from bot.conversations.tool_turns import tool_turn_message
from bot.conversations.values import IncomingMessage
from bot.conversations.work_steps import CATCHING_UP
from bot.errors import BotError, log_failure
from bot.openai_api.chat import ChatMessage
from bot.store.conversations_repo import ConversationRepository, MessageRepository
from bot.store.db import read_only_session
from bot.store.models import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThreadMessage:
    """One earlier message of a Slack thread, as the thread reader found it."""

    ts: str
    text: str
    user_id: str | None
    author_name: str | None
    from_this_bot: bool


class ThreadSource(Protocol):
    async def read_before(
        self, channel_id: str, thread_ts: str, before_ts: str
    ) -> Sequence[ThreadMessage]:
        """The thread's messages older than ``before_ts``, oldest first (bounded)."""
        ...


def _as_chat(role: str, text: str, author_name: str | None) -> ChatMessage:
    if role == "assistant":
        return {"role": "assistant", "content": text}
    return {"role": "user", "content": f"{author_name}: {text}" if author_name else text}


def history_message(turn: Message) -> ChatMessage:
    """A stored turn as the model sees it; turns read during catch-up name their author."""
    return tool_turn_message(turn) or _as_chat(turn.role, turn.text, turn.author_name)


def needs_catch_up(message: IncomingMessage) -> bool:
    """Only a mention inside an existing channel thread can have earlier discussion to read."""
    return message.mentioned and not message.is_dm and message.thread_ts != message.ts


class CatchUp:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        source: ThreadSource,
        counter: TokenCounter,
    ) -> None:
        self._sessions = sessions
        self._source = source
        self._counter = counter

    async def run(self, message: IncomingMessage, model: str, progress: Progress) -> None:
        """Store the thread's earlier messages as context turns, once; failures only log.
        The reading shows as a step of work."""
        if not needs_catch_up(message) or not await self._never_seen(message):
            return
        await progress.task(CATCHING_UP.at(TaskState.IN_PROGRESS))
        try:
            earlier = await self._source.read_before(
                message.channel_id, message.thread_ts, message.ts
            )
        except BotError as exc:
            log_failure(log, "could not read the thread to catch up", exc, level=logging.WARNING)
            await progress.task(CATCHING_UP.at(TaskState.ERROR, "Answering without it"))
            return
        async with self._sessions.begin() as session:
            conversation = await ConversationRepository(session).get(
                message.team_id, message.channel_id, message.thread_ts
            )
            if conversation is None or conversation.caught_up:
                return
            messages = MessageRepository(session)
            for item in earlier:
                role = "assistant" if item.from_this_bot else "user"
                turn = _as_chat(role, item.text, item.author_name)
                await messages.add_context_turn(
                    conversation,
                    role=role,
                    slack_ts=item.ts,
                    slack_user_id=item.user_id,
                    author_name=item.author_name,
                    text=item.text,
                    token_count=self._counter.count_if_loaded(model, turn),
                )
            await ConversationRepository(session).mark_caught_up(conversation)
        log.info("caught up on a thread", extra={"turns": len(earlier)})
        read = f"{len(earlier)} message{'' if len(earlier) == 1 else 's'}"
        await progress.task(CATCHING_UP.at(TaskState.COMPLETE, read))

    async def _never_seen(self, message: IncomingMessage) -> bool:
        async with read_only_session(self._sessions) as session:
            conversation = await ConversationRepository(session).get(
                message.team_id, message.channel_id, message.thread_ts
            )
            if conversation is None or conversation.caught_up:
                return False
            return not await MessageRepository(session).has_turns(conversation)
