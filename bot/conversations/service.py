"""The way of one message: a recorded Slack message in, a stored turn and a streamed answer out.

``handle`` is the inbox's handler for messages. In thread order (one answer at a time per
thread) it closes what an earlier attempt left in Slack, builds the prompt, runs the answer and
reports the outcome; the assistant turn is stored by the inbox in the transaction that marks
the delivery done, so a crash in between leaves work that recovery finishes, never a turn
stored twice. Whatever goes wrong, the stream is closed; on the last attempt the user is told,
with a reference id.
"""

from __future__ import annotations

import logging
import time
from contextlib import AsyncExitStack

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations.answer import AnswerRunner, Outcome, close_interrupted
from bot.conversations.locks import ThreadLocks
from bot.conversations.notices import EMPTY_PROMPT_NOTICE, failure_notice
from bot.conversations.prompt import Prompt, PromptBuilder
from bot.conversations.values import IncomingMessage
from bot.errors import BotError, describe_error
from bot.inbox import UNKNOWN_TS, Completion, LeaseLost, Work
from bot.metrics import Metrics
from bot.slack_output.retire import retire_reply, retire_unrecorded_replies
from bot.slack_output.streaming import SlackReplies, StreamingReply
from bot.store.conversations_repo import MessageRepository
from bot.tools.base import ToolContext

log = logging.getLogger(__name__)


class ConversationService:
    def __init__(
        self,
        *,
        prompts: PromptBuilder,
        answers: AnswerRunner,
        replies: SlackReplies,
        locks: ThreadLocks | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._prompts = prompts
        self._answers = answers
        self._replies = replies
        self._locks = locks or ThreadLocks()
        self._metrics = metrics or Metrics()

    async def handle(self, work: Work) -> None:
        """Inbox handler: answer one recorded message, in thread order."""
        if not work.payload:  # the message was deleted before it was answered
            return
        message = IncomingMessage.from_payload(work.payload, work.text)
        # Attachment bytes the prompt carries stay counted until the answer is done.
        async with self._locks.hold(message.thread), AsyncExitStack() as attachments:
            await self._retire_earlier_attempt(message, work)
            if work.given_up:
                log.warning("gave up after repeated attempts", extra=_ref(work))
                await self._tell(message, failure_notice(RuntimeError(), work.reference_id))
                return
            reply: StreamingReply | None = None
            try:
                prompt = await self._prompts.build(message, work.event_id, attachments)
                if prompt is None:
                    return
                if prompt.notice is not None:
                    await self._tell(message, prompt.notice)
                if prompt.is_empty:
                    await self._tell(message, EMPTY_PROMPT_NOTICE)
                    return
                reply = self._open_reply(message, work)
                started = time.monotonic()
                outcome = await self._answers.run(prompt, reply, _asker(message))
                completion = _store_answer(prompt, reply, outcome, self._prompts)
                if completion is not None:  # stored before the next turn of the thread may start
                    await work.complete(completion)
            except LeaseLost:
                raise
            except Exception as exc:
                await self._abandon(message, reply, exc, work)
                raise
            if outcome.error is not None:
                log.warning("answer failed: %s", describe_error(outcome.error), extra=_ref(work))
                await self._tell(message, failure_notice(outcome.error, work.reference_id))
        self._metrics.answer_finished(
            answered=outcome.error is None, seconds=time.monotonic() - started
        )

    def _open_reply(self, message: IncomingMessage, work: Work) -> StreamingReply:
        async def record(written: tuple[str, ...], opening: bool) -> None:
            await work.set_reply_ts([*written, UNKNOWN_TS] if opening else written)

        return self._replies.open(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            recipient_user_id=message.user_id,
            recipient_team_id=message.user_team_id or message.team_id,
            thinking=message.is_dm,
            on_messages=record,
        )

    async def _retire_earlier_attempt(self, message: IncomingMessage, work: Work) -> None:
        """A dead (or failed) attempt may have left messages in the thread: close them all."""
        for ts in work.reply_ts:
            if ts != UNKNOWN_TS:
                await retire_reply(self._replies, channel=message.channel_id, ts=ts)
        if UNKNOWN_TS in work.reply_ts:  # it died while opening a message: find that one
            await retire_unrecorded_replies(
                self._replies,
                channel=message.channel_id,
                thread_ts=message.thread_ts,
                after_ts=message.ts,
                recorded=work.reply_ts,
            )

    async def _abandon(
        self,
        message: IncomingMessage,
        reply: StreamingReply | None,
        error: Exception,
        work: Work,
    ) -> None:
        """Something unexpected broke the answer (perhaps after it was shown, while storing it):
        close the stream; on the last attempt, say so (earlier attempts are retried, and the
        retry retires what this one showed)."""
        if reply is not None:
            await close_interrupted(reply)
        if work.is_last_attempt:
            await self._tell(message, failure_notice(error, work.reference_id))

    async def _tell(self, message: IncomingMessage, text: str) -> None:
        """A short message in the thread; Slack refusing it is logged, never raised."""
        try:
            await self._replies.post_notice(
                channel=message.channel_id, thread_ts=message.thread_ts, text=text
            )
        except BotError as exc:
            log.warning("could not post a notice: %s", describe_error(exc))


def _store_answer(
    prompt: Prompt, reply: StreamingReply, outcome: Outcome, prompts: PromptBuilder
) -> Completion | None:
    """The assistant turn, for the inbox to store as it marks the delivery done."""
    slack_ts = reply.ts
    if slack_ts is None:
        return None
    tokens = (
        outcome.completion_tokens + 4
        if outcome.completion_tokens is not None
        else prompts.count_answer(prompt.model, outcome.text)
    )

    async def store(session: AsyncSession) -> None:
        await MessageRepository(session).add_assistant_turn(
            prompt.turn,
            slack_ts=slack_ts,
            text=outcome.text,
            status=outcome.status,
            model=prompt.model,
            token_count=tokens,
        )

    return store


def _asker(message: IncomingMessage) -> ToolContext:
    return ToolContext(
        team_id=message.team_id,
        enterprise_id=message.enterprise_id,
        channel_id=message.channel_id,
        thread_ts=message.thread_ts,
        user_id=message.user_id,
    )


def _ref(work: Work) -> dict[str, str]:
    return {"reference_id": work.reference_id}
