"""Building the prompt for one message: the user turn stored once, history fitted to the
model's window, attachments turned into parts the model can read."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.budget import ContextBudget, FittedPrompt, fit_history
from bot.conversations.catch_up import CatchUp, history_message
from bot.conversations.channel_settings import channel_overrides
from bot.conversations.notices import BARE_MENTION_PROMPT
from bot.conversations.progress import Progress
from bot.conversations.tokens import TokenCounter
from bot.conversations.values import IncomingMessage
from bot.conversations.vision import ImageInputs, with_attachment_note
from bot.conversations.windows import ModelLimits
from bot.openai_api.chat import ChatMessage
from bot.store.conversations_repo import ConversationRepository, MessageRepository
from bot.store.models import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerPolicy:
    model: str
    system_prompt: str
    answer_max_tokens: int
    history_max_tokens: int


@dataclass(frozen=True)
class Prompt:
    """Everything needed to ask the model, kept whole so it can be refitted more tightly."""

    turn: Message
    model: str
    system: ChatMessage
    history: list[ChatMessage]
    history_tokens: list[int]
    newest: ChatMessage
    notice: str | None
    """Something to tell the user before the answer (attachments skipped, …)."""

    @property
    def is_empty(self) -> bool:
        """A bare mention with nothing to go on."""
        return not self.newest["content"]


class PromptBuilder:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        counter: TokenCounter,
        policy: AnswerPolicy,
        catch_up: CatchUp,
        images_in: ImageInputs,
    ) -> None:
        self._sessions = sessions
        self._counter = counter
        self._policy = policy
        self._catch_up = catch_up
        self._images_in = images_in

    async def build(
        self, message: IncomingMessage, event_id: str, holds: AsyncExitStack, progress: Progress
    ) -> Prompt | None:
        """Store the user turn (once per Slack message) and build the prompt; None when the
        message is not this delivery's to answer (another delivery owns it, or it is answered).
        What the prompt holds of the process's budgets stays held until ``holds`` closes.
        Reading the thread and the attachments show on ``progress`` as steps of work."""
        await self._catch_up.run(message, self._policy.model, progress)
        async with self._sessions.begin() as session:
            conversation = await ConversationRepository(session).get(
                message.team_id, message.channel_id, message.thread_ts
            )
            if conversation is None:
                return None
            messages = MessageRepository(session)
            channel = await channel_overrides(session, message.team_id, message.channel_id)
            model = conversation.model or channel.model or self._policy.model
            text = with_attachment_note(message.text, message.files)
            stored = await messages.add_user_turn(
                conversation,
                slack_ts=message.ts,
                slack_user_id=message.user_id,
                text=text,
                source_event_id=event_id,
                token_count=self._counter.count_message(model, {"role": "user", "content": text}),
            )
            if not stored.owned:
                log.info("message already taken by another delivery", extra={"event_id": event_id})
                return None
            if await messages.answer_to(stored.message) is not None:
                return None
            history = await messages.history_before(stored.message)
            system = (
                conversation.system_prompt or channel.system_prompt or self._policy.system_prompt
            )
        turns = [history_message(m) for m in history]
        counts = [
            m.token_count if m.token_count is not None else self._counter.count_message(model, t)
            for m, t in zip(history, turns, strict=True)
        ]
        if not text and turns:
            text = BARE_MENTION_PROMPT  # mentioned mid-thread: the discussion is the question
        content = await self._images_in.user_content(text, message.files, model, holds, progress)
        return Prompt(
            stored.message,
            model,
            {"role": "system", "content": system},
            turns,
            counts,
            content.message,
            content.notice(),
        )

    def budget(self, limits: ModelLimits) -> ContextBudget:
        return ContextBudget.for_window(
            limits.window,
            token_ratio=limits.token_ratio,
            answer_max_tokens=self._policy.answer_max_tokens,
            history_limit=self._policy.history_max_tokens,
        )

    def fit(self, prompt: Prompt, budget: ContextBudget) -> FittedPrompt:
        """The messages to send within ``budget``."""
        return fit_history(
            self._counter,
            prompt.model,
            prompt.system,
            prompt.history,
            prompt.newest,
            budget,
            history_tokens=prompt.history_tokens,
        )

    def count_answer(self, model: str, text: str) -> int:
        return self._counter.count_message(model, {"role": "assistant", "content": text})
