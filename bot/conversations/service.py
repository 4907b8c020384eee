"""The way of one message: a Slack message in, a stored turn and a streamed answer out."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.budget import (
    ContextBudget,
    FittedPrompt,
    context_window_for_model,
    fit_history,
    tighter,
)
from bot.conversations.catch_up import CatchUp, history_message
from bot.conversations.channel_settings import channel_overrides
from bot.conversations.locks import ThreadLocks
from bot.conversations.notices import (
    BARE_MENTION_PROMPT,
    DROPPED_FOOTNOTE,
    EMPTY_PROMPT_NOTICE,
    INTERRUPTED_MARK,
    failure_notice,
)
from bot.conversations.tokens import ChatMessage, TokenCounter
from bot.conversations.values import IncomingMessage
from bot.conversations.vision import ImageInputs, with_attachment_note
from bot.errors import BotError, ModelContextTooLong, ModelStreamInterrupted
from bot.inbox import MAX_ATTEMPTS, Inbox, Work
from bot.metrics import Metrics
from bot.openai_api.chat import ChatMessage as OpenAIChatMessage
from bot.openai_api.client import OpenAIClient
from bot.slack_output.retire import retire_reply
from bot.slack_output.streaming import SlackReplies, StreamingReply
from bot.store.conversations_repo import ConversationRepository, MessageRepository
from bot.store.models import Message

log = logging.getLogger(__name__)

INBOX_KIND = "message"


@dataclass(frozen=True)
class AnswerPolicy:
    model: str
    system_prompt: str
    default_context_tokens: int
    answer_max_tokens: int


@dataclass
class _Prompt:
    """Everything needed to ask the model, kept whole so it can be refitted more tightly."""

    turn: Message
    model: str
    system: ChatMessage
    history: list[ChatMessage]
    history_tokens: list[int]
    newest: ChatMessage


class ConversationService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        openai: OpenAIClient,
        replies: SlackReplies,
        counter: TokenCounter,
        policy: AnswerPolicy,
        catch_up: CatchUp,
        images_in: ImageInputs,
        locks: ThreadLocks | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._openai = openai
        self._replies = replies
        self._counter = counter
        self._policy = policy
        self._catch_up = catch_up
        self._images_in = images_in
        self._locks = locks or ThreadLocks()
        self._metrics = metrics or Metrics()

    def warm_up(self, model: str) -> None:
        """Load the tokenizer now (a fraction of a second) rather than during a first answer."""
        self._counter.preload([model])

    async def accept(self, message: IncomingMessage, inbox: Inbox) -> bool:
        """Record a message for answering, before Slack is acknowledged.

        DMs and mentions start (or continue) a conversation; other thread replies are ours only
        when the thread already is a conversation.
        """

        async def relevant(session: AsyncSession) -> bool:
            conversations = ConversationRepository(session)
            if message.is_dm or message.mentioned:
                await conversations.get_or_create(
                    team_id=message.team_id,
                    enterprise_id=message.enterprise_id,
                    channel_id=message.channel_id,
                    thread_ts=message.thread_ts,
                    kind=message.kind,
                )
                return True
            known = await conversations.get(message.team_id, message.channel_id, message.thread_ts)
            return known is not None

        return await inbox.accept(
            event_id=message.event_id,
            team_id=message.team_id,
            kind=INBOX_KIND,
            payload=message.to_json(),
            prepare=relevant,
        )

    async def handle(self, work: Work, inbox: Inbox) -> None:
        """Inbox handler: answer one recorded message, in thread order."""
        message = IncomingMessage.from_json(work.payload)
        async with self._locks.hold(message.thread):
            prompt = await self._prepare(message, work)
            if prompt is None:
                return
            if work.reply_ts is not None:  # a dead process was streaming it; close that first
                await retire_reply(self._replies, channel=message.channel_id, ts=work.reply_ts)
            if work.attempts > MAX_ATTEMPTS:
                log.warning(
                    "gave up after repeated attempts", extra={"reference_id": work.reference_id}
                )
                await self._notify(message, RuntimeError("gave up after repeated attempts"), work)
                return
            if prompt.newest["content"] == "":  # a bare mention with nothing to go on
                await self._replies.post_notice(
                    channel=message.channel_id,
                    thread_ts=message.thread_ts,
                    text=EMPTY_PROMPT_NOTICE,
                )
                return
            await self._answer(message, prompt, work, inbox)

    async def _prepare(self, message: IncomingMessage, work: Work) -> _Prompt | None:
        """Store the user turn (once per Slack message) and build the prompt; None = not ours."""
        await self._catch_up.run(message, self._policy.model)
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
            newest: ChatMessage = {"role": "user", "content": text}
            stored = await messages.add_user_turn(
                conversation,
                slack_ts=message.ts,
                slack_user_id=message.user_id,
                text=text,
                source_event_id=message.event_id,
                token_count=self._counter.count_message(model, newest),
            )
            if not stored.owned:
                log.info(
                    "message already taken by another delivery", extra={"event_id": work.event_id}
                )
                return None
            if await messages.answer_to(stored.message) is not None:
                return None
            history = await messages.history_before(stored.message)
            system = (
                conversation.system_prompt or channel.system_prompt or self._policy.system_prompt
            )
        turns: list[ChatMessage] = [history_message(m) for m in history]
        counts = [
            m.token_count if m.token_count is not None else self._counter.count_message(model, t)
            for m, t in zip(history, turns, strict=True)
        ]
        if not text and turns:
            text = BARE_MENTION_PROMPT  # mentioned mid-thread: the discussion is the question
        content = await self._images_in.user_content(text, message.files, model)
        notice = content.notice()
        if notice is not None:
            try:
                await self._replies.post_notice(
                    channel=message.channel_id, thread_ts=message.thread_ts, text=notice
                )
            except BotError as exc:
                log.warning("could not post the attachments note: %s", exc)
        return _Prompt(
            stored.message,
            model,
            {"role": "system", "content": system},
            turns,
            counts,
            content.message,
        )

    def _budget(self, model: str) -> ContextBudget:
        window = context_window_for_model(model, self._policy.default_context_tokens)
        return ContextBudget(window, min(self._policy.answer_max_tokens, window // 2))

    def _fit(self, prompt: _Prompt, budget: ContextBudget) -> FittedPrompt:
        return fit_history(
            self._counter,
            prompt.model,
            prompt.system,
            prompt.history,
            prompt.newest,
            budget,
            history_tokens=prompt.history_tokens,
        )

    async def _answer(
        self, message: IncomingMessage, prompt: _Prompt, work: Work, inbox: Inbox
    ) -> None:
        started = time.monotonic()
        reply = self._replies.open(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            recipient_user_id=message.user_id,
            recipient_team_id=message.user_team_id or message.team_id,
            thinking=message.is_dm,
        )
        status, error = "complete", None
        budget = self._budget(prompt.model)
        try:
            fitted = self._fit(prompt, budget)
            try:
                usage = await self._stream(fitted.messages, prompt.model, reply, work, inbox)
            except ModelContextTooLong:
                if reply.text:
                    raise
                log.warning("context length exceeded; retrying once with a tighter budget")
                fitted = self._fit(prompt, tighter(budget))
                usage = await self._stream(fitted.messages, prompt.model, reply, work, inbox)
            answer = reply.text
            if fitted.dropped:
                await reply.append(f"\n\n{DROPPED_FOOTNOTE}")
            await reply.finish()
        except BotError as exc:  # the model failed, or Slack refused part of the answer
            status, error = ("interrupted" if reply.text else "failed"), exc
            usage = None
        if error is not None:
            log.warning(
                "answer failed: %s",
                error,
                extra={"reference_id": work.reference_id, "error_type": type(error).__name__},
            )
            partial = error.partial_text if isinstance(error, ModelStreamInterrupted) else ""
            text = partial or reply.text
            await self._mark_interrupted(reply, work)
            await self._notify(message, error, work)
        else:
            text = answer
        await self._store_answer(prompt, reply, text, status, usage)
        self._metrics.answer_finished(answered=error is None, seconds=time.monotonic() - started)

    async def _stream(
        self,
        messages: list[ChatMessage],
        model: str,
        reply: StreamingReply,
        work: Work,
        inbox: Inbox,
    ) -> int | None:
        completion_tokens: int | None = None
        wire = cast("list[OpenAIChatMessage]", messages)  # same shape; tokens.py keeps it loose
        async with contextlib.aclosing(self._openai.stream_chat(wire, model=model)) as deltas:
            async for delta in deltas:
                if delta.text:
                    first = reply.ts is None
                    await reply.append(delta.text)
                    if first and reply.ts is not None:
                        await inbox.set_reply_ts(work, reply.ts)
                if delta.usage is not None:
                    completion_tokens = delta.usage.completion_tokens
                    self._metrics.model_tokens(
                        prompt=delta.usage.prompt_tokens, completion=completion_tokens
                    )
        return completion_tokens

    async def _mark_interrupted(self, reply: StreamingReply, work: Work) -> None:
        """Keep what was shown, marked as cut off; a Slack that refuses even that is logged."""
        if not reply.text:
            return
        try:
            await reply.interrupt(INTERRUPTED_MARK)
        except BotError as exc:
            log.warning(
                "could not mark the answer interrupted: %s",
                exc,
                extra={"reference_id": work.reference_id},
            )

    async def _notify(self, message: IncomingMessage, error: BaseException, work: Work) -> None:
        try:
            await self._replies.post_notice(
                channel=message.channel_id,
                thread_ts=message.thread_ts,
                text=failure_notice(error, work.reference_id),
            )
        except BotError:
            log.exception(
                "could not tell the user about a failure", extra={"reference_id": work.reference_id}
            )

    async def _store_answer(
        self,
        prompt: _Prompt,
        reply: StreamingReply,
        text: str,
        status: str,
        completion_tokens: int | None,
    ) -> None:
        if reply.ts is None:
            return
        async with self._sessions.begin() as session:
            await MessageRepository(session).add_assistant_turn(
                prompt.turn,
                slack_ts=reply.ts,
                text=text,
                status=status,
                model=prompt.model,
                token_count=self._counter.count_message(
                    prompt.model, {"role": "assistant", "content": text}
                )
                if completion_tokens is None
                else completion_tokens + 4,
            )
