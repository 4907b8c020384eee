"""The way of one message: a recorded Slack message in, a stored turn and a streamed answer out.

``handle`` is the inbox's handler for messages. In thread order (one answer at a time per
thread) it closes what an earlier attempt left in Slack, asks the policy whether this person
may be answered here, builds the prompt, asks the policy about it (moderation, budgets), runs
the answer and reports the outcome (steps of work before the text, such as reading the thread,
show in the reply as they happen); the assistant turn is stored by the inbox in the
transaction that marks
the delivery done, so a crash in between leaves work that recovery finishes, never a turn
stored twice. Whatever goes wrong, the stream is closed; on the last attempt the user is told,
with a reference id.

A new DM conversation gets a title from its first message, and an ``/imagine`` typed in a DM
(slash commands do not run in agent threads) is drawn into that thread instead of answered.
"""

from __future__ import annotations

import logging
import time
from contextlib import AsyncExitStack

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations.answer import AnswerRunner, Outcome, close_interrupted
from bot.conversations.earlier_attempt import EarlierAttempt
from bot.conversations.locks import ThreadLocks
from bot.conversations.notices import EMPTY_PROMPT_NOTICE, failure_notice
from bot.conversations.policy_checks import PolicyChecks
from bot.conversations.prompt import Prompt, PromptBuilder
from bot.conversations.values import IncomingMessage
from bot.conversations.work_steps import loading_messages, thread_title
from bot.errors import BotError, describe_error
from bot.images.service import ImageService, ImagineCommand, typed_imagine
from bot.inbox import UNKNOWN_TS, Completion, LeaseLost, Work
from bot.metrics import Metrics
from bot.policy.budgets import Budgets
from bot.slack_output.agent_surface import AgentSurface
from bot.slack_output.streaming import SlackReplies, StreamingReply
from bot.store.conversations_repo import MessageRepository
from bot.tools.base import ToolContext
from bot.usage.calls import Asker, CallKind, ModelCall
from bot.usage.ledger import UsageLedger, UsageWriter

log = logging.getLogger(__name__)


class ConversationService:
    def __init__(
        self,
        *,
        prompts: PromptBuilder,
        answers: AnswerRunner,
        replies: SlackReplies,
        policy: PolicyChecks,
        budgets: Budgets,
        ledger: UsageLedger,
        earlier: EarlierAttempt,
        locks: ThreadLocks | None = None,
        metrics: Metrics | None = None,
        surface: AgentSurface | None = None,
        images: ImageService | None = None,
    ) -> None:
        self._prompts = prompts
        self._budgets = budgets
        self._ledger = ledger
        self._answers = answers
        self._replies = replies
        self._earlier = earlier
        self._locks = locks or ThreadLocks()
        self._metrics = metrics or Metrics()
        self._policy = policy
        self._surface = surface
        self._images = images

    async def handle(self, work: Work) -> None:
        """Inbox handler: answer one recorded message, in thread order."""
        if not work.payload:  # the message was deleted before it was answered
            return
        message = IncomingMessage.from_payload(work.payload, work.text)
        # Attachment bytes the prompt carries stay counted until the answer is done.
        async with self._locks.hold(message.thread), AsyncExitStack() as attachments:
            await self._earlier.retire(message, work)
            if work.given_up:
                log.warning("gave up after repeated attempts", extra=_ref(work))
                await self._tell(message, failure_notice(RuntimeError(), work.reference_id))
                return
            self._title_new_dm(message)
            imagine = typed_imagine(message.text) if message.is_dm else None
            if imagine is not None and self._images is not None:
                await self._imagine(message, imagine, work)
                return
            reply: StreamingReply | None = None
            try:
                if await self._policy.refused_access(message):
                    return
                reply = self._open_reply(message, work)
                prompt = await self._prompts.build(
                    message, work.event_id, attachments, reply, work.opening_marker()
                )
                if prompt is None or prompt.is_empty:
                    await reply.end()
                if prompt is None:
                    return
                asker = _asker(message, prompt)
                if await self._refused_prompt(message, prompt, asker, work):
                    await reply.end()
                    return
                if prompt.notice is not None:
                    await self._tell(message, prompt.notice)
                if prompt.is_empty:
                    await self._tell(message, EMPTY_PROMPT_NOTICE)
                    return
                if self._budgets.limits_tokens:  # counted until the answer is done
                    held = await self._answers.prompt_tokens(prompt)
                    attachments.enter_context(self._budgets.answering(asker, prompt.model, held))
                started = time.monotonic()
                outcome = await self._answers.run(prompt, reply, _tool_context(message))
                if outcome.refusal is not None:
                    await self._policy.refuse(message, outcome.refusal)
                call = await _chat_call(asker, prompt, outcome, self._prompts)
                usage = self._ledger.writer(call) if call is not None else None
                completion = _store_answer(prompt, reply, outcome, self._prompts, usage)
                if completion is not None:  # stored before the next turn of the thread may start
                    await work.complete(completion)
                elif call is not None:
                    await self._ledger.record(call)
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

    async def _refused_prompt(
        self, message: IncomingMessage, prompt: Prompt, asker: Asker, work: Work
    ) -> bool:
        """The policy's questions once the prompt is built: moderation of what it asks, then
        the budgets; a refusal is told like every refusal."""
        if await self._policy.refused_content(message, prompt):
            return True
        refusal = await self._budgets.check_chat(asker)
        if refusal is None:
            return False
        log.info("over budget: %s", refusal.code, extra=_ref(work))
        await self._policy.refuse(message, refusal)
        return True

    def _open_reply(
        self, message: IncomingMessage, work: Work, *, drawing: bool = False
    ) -> StreamingReply:
        async def record(written: tuple[str, ...], opening: bool) -> None:
            await work.set_reply_ts([*written, UNKNOWN_TS] if opening else written)

        return self._replies.open(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            recipient_user_id=message.user_id,
            recipient_team_id=message.user_team_id or message.team_id,
            thinking=message.is_dm,
            loading_messages=loading_messages(message, drawing=drawing),
            on_messages=record,
        )

    def _title_new_dm(self, message: IncomingMessage) -> None:
        """A top-level DM message starts a conversation: title it after what it asks."""
        if self._surface is None or not message.is_dm or message.thread_ts != message.ts:
            return
        title = self._surface.set_title(
            channel=message.channel_id,
            thread_ts=message.thread_ts,
            title=thread_title(message.text),
        )
        self._replies.tasks.spawn(title, name="thread-title")

    async def _imagine(self, message: IncomingMessage, options: str, work: Work) -> None:
        """Draw what a DM asked for into its thread, the drawing shown as a step of work."""
        assert self._images is not None
        plan = self._images.plan(options)
        if plan.request is None:  # help, or what is wrong with the options
            await self._tell(message, plan.reply)
            return
        reply = self._open_reply(message, work, drawing=True)
        command = ImagineCommand(
            team_id=message.team_id,
            enterprise_id=message.enterprise_id,
            channel_id=message.channel_id,
            user_id=message.user_id,
            bot_user_id=None,
            request=plan.request,
            thread_ts=message.thread_ts,
        )
        try:
            await self._images.create(command, reply)
        finally:
            await reply.end()

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
        try:
            if reply is not None:
                await close_interrupted(reply)
        finally:  # closing may fail as the answer did (the database): the user is told anyway
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


def _asker(message: IncomingMessage, prompt: Prompt) -> Asker:
    return Asker(
        team_id=message.team_id,
        user_id=message.user_id,
        channel_id=message.channel_id,
        conversation_id=prompt.turn.conversation_id,
        enterprise_id=message.enterprise_id,
    )


async def _chat_call(
    asker: Asker, prompt: Prompt, outcome: Outcome, prompts: PromptBuilder
) -> ModelCall | None:
    """What the answer's model call used: the server's figures, else our own count (marked
    estimated); None when nothing came back (a refused or failed request)."""
    if outcome.usage is not None:
        used = outcome.usage
        return ModelCall(
            asker, CallKind.CHAT, prompt.model, used.prompt_tokens, used.completion_tokens
        )
    if not outcome.text:
        return None
    answer_tokens = await prompts.count_answer(prompt.model, outcome.text)
    sent_tokens = (
        0 if outcome.sent is None else await prompts.count_sent(prompt.model, outcome.sent)
    )
    return ModelCall(asker, CallKind.CHAT, prompt.model, sent_tokens, answer_tokens, estimated=True)


def _store_answer(
    prompt: Prompt,
    reply: StreamingReply,
    outcome: Outcome,
    prompts: PromptBuilder,
    usage: UsageWriter | None,
) -> Completion | None:
    """The assistant turn (and the call's usage), for the inbox to store as it marks the
    delivery done."""
    slack_ts = reply.ts
    if slack_ts is None:
        return None
    tokens = (
        outcome.completion_tokens + 4
        if outcome.completion_tokens is not None
        else prompts.count_answer_if_loaded(prompt.model, outcome.text)
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
        if usage is not None:
            await usage(session)

    return store


def _tool_context(message: IncomingMessage) -> ToolContext:
    return ToolContext(
        team_id=message.team_id,
        enterprise_id=message.enterprise_id,
        channel_id=message.channel_id,
        thread_ts=message.thread_ts,
        user_id=message.user_id,
        user_team_id=message.user_team_id,
    )


def _ref(work: Work) -> dict[str, str]:
    return {"reference_id": work.reference_id}
