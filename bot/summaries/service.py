"""Thread summaries: a thread read once from Slack (bounded), summarized by the model with its
decisions, open questions and owners, and shown only to the person who asked, who may share it
in the thread.

``request`` and ``share`` run the shortcut's and the button's work in the background, so Slack
is acknowledged at once, and turn every failure into a sentence for the person, with a
reference id when it is ours. ``summary_text`` is the shortcut's job for a caller that shows
the result itself (the ``summarize_thread`` tool): the same rules, the text returned, nothing
posted.

A summary asks the model like an answer does: the access rules say whether the person may ask
here (a refusal goes through the refusal desk, privately: a summary is theirs alone), the
budgets whether they may spend now, the window is the one the server taught (``ModelWindows``),
and the call is written to the usage ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.background import BackgroundTasks
from bot.conversations.budget import ContextBudget
from bot.conversations.catch_up import ThreadMessage
from bot.conversations.channel_settings import channel_overrides
from bot.conversations.notices import failure_notice
from bot.conversations.tokens import TokenCounter
from bot.conversations.windows import MAX_COMPLETION_TOKENS, MAX_TOKENS, ModelLimits, ModelWindows
from bot.errors import (
    BotError,
    ModelContextTooLong,
    ModelError,
    ModelParameterRejected,
    SlackDeliveryError,
    ThreadUnreadable,
    describe_error,
    log_failure,
)
from bot.openai_api.chat import ChatMessage, ChatResult
from bot.openai_api.client import OpenAIClient
from bot.policy.budgets import Budgets
from bot.policy.decision import Refusal
from bot.policy.refusals import Asker as RefusalAsker
from bot.policy.refusals import RefusalDesk
from bot.policy.rules import Policies, PolicyRequest, RequestKind
from bot.reference import new_reference_id
from bot.slack_output.summary_messages import SummaryMessages
from bot.slack_output.user_notes import UserNotes
from bot.store.db import read_only_session
from bot.store.summaries_repo import ThreadSummaryRepository
from bot.summaries import notices
from bot.summaries.transcript import summary_prompt
from bot.usage.calls import Asker, CallKind, ModelCall
from bot.usage.ledger import UsageLedger

log = logging.getLogger(__name__)

SUMMARY_MAX_TOKENS = 1200


class ThreadReader(Protocol):
    async def read_thread(self, channel_id: str, thread_ts: str) -> Sequence[ThreadMessage]:
        """The thread's messages, oldest first (bounded); ``ThreadUnreadable`` if it may not."""
        ...


class NothingToSummarize(BotError):
    """The message has no replies: there is no thread."""


@dataclass(frozen=True)
class SummaryRequest:
    """Someone used the shortcut on a message of ``thread_ts``; ``in_thread`` when that message
    is a reply (they are looking at the thread, so the answer goes there)."""

    team_id: str
    channel_id: str
    thread_ts: str
    user_id: str
    in_thread: bool
    user_team_id: str | None = None
    """The person's own team; another than ``team_id`` for Slack Connect users."""
    enterprise_id: str | None = None


@dataclass(frozen=True)
class ShareRequest:
    team_id: str
    channel_id: str
    user_id: str
    summary_id: int


@dataclass(frozen=True)
class Summary:
    text: str
    model: str


@dataclass(frozen=True)
class SummaryText:
    """``summary_text``'s answer: the summary in Markdown, or (``ok`` False) a sentence saying
    why there is none."""

    text: str
    ok: bool = True


class ThreadSummaries:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        reader: ThreadReader,
        openai: OpenAIClient,
        counter: TokenCounter,
        messages: SummaryMessages,
        notes: UserNotes,
        tasks: BackgroundTasks,
        model: str,
        history_max_tokens: int,
        windows: ModelWindows,
        policies: Policies,
        refusals: RefusalDesk,
        budgets: Budgets,
        ledger: UsageLedger,
    ) -> None:
        self._sessions = sessions
        self._reader = reader
        self._openai = openai
        self._counter = counter
        self._messages = messages
        self._notes = notes
        self._tasks = tasks
        self._model = model
        self._history_max_tokens = history_max_tokens
        self._windows = windows
        self._policies = policies
        self._refusals = refusals
        self._budgets = budgets
        self._ledger = ledger

    async def summary_text(self, request: SummaryRequest) -> SummaryText:
        """The shortcut's job for a caller that shows the result itself: the access rules and
        the budgets (a refusal is recorded, not told), the thread read, the model asked and
        the call written to the usage ledger; the text is returned and nothing is posted or
        stored. The caller makes sure the person may see the thread (their own conversation).
        Every failure is a sentence, with a reference id when it is ours."""
        refusal = await self._refusal(request)
        if refusal is not None:
            await self._refusals.record(_refusal_asker(request), refusal)
            return SummaryText(refusal.notice, ok=False)
        reference_id = new_reference_id()
        try:
            summary = await self._summarize(
                request.team_id, request.channel_id, request.thread_ts, _asker(request)
            )
        except ThreadUnreadable as exc:
            log.info("cannot read a thread to summarize: %s", exc.error)
            return SummaryText(notices.unreadable_notice(exc.error), ok=False)
        except NothingToSummarize:
            return SummaryText(notices.NO_REPLIES, ok=False)
        except Exception as exc:
            log_failure(
                log, "thread summary failed", exc, reference_id=reference_id, level=logging.WARNING
            )
            return SummaryText(failure_notice(exc, reference_id), ok=False)
        return SummaryText(summary.text)

    def request(self, request: SummaryRequest) -> None:
        reference_id = new_reference_id()
        self._tasks.spawn(
            self._deliver(request, reference_id), name="thread-summary", reference_id=reference_id
        )

    def share(self, request: ShareRequest) -> None:
        self._tasks.spawn(self._share(request), name="thread-summary-share")

    async def _refused(self, request: SummaryRequest) -> bool:
        """The access rules and the budgets, before the thread is read; a refusal is told to
        the person alone, like the summary would have been."""
        refusal = await self._refusal(request)
        if refusal is None:
            return False
        await self._refusals.refuse(_refusal_asker(request), replace(refusal, private=True))
        return True

    async def _refusal(self, request: SummaryRequest) -> Refusal | None:
        refusal = await self._policies.access.check(
            PolicyRequest(
                kind=RequestKind.SUMMARY,
                team_id=request.team_id,
                channel_id=request.channel_id,
                user_id=request.user_id,
                user_team_id=request.user_team_id,
                is_dm=request.channel_id.startswith("D"),
                model=self._model,
            )
        )
        return refusal or await self._budgets.check_chat(_asker(request))

    async def _summarize(
        self,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        asker: Asker,
        *,
        progress: SummaryRequest | None = None,
    ) -> Summary:
        messages = await self._reader.read_thread(channel_id, thread_ts)
        if len(messages) < 2:
            raise NothingToSummarize("a message without replies")
        if progress is not None:
            await self._tell(progress, notices.WORKING)
        async with read_only_session(self._sessions) as session:
            model = (await channel_overrides(session, team_id, channel_id)).model or self._model
        limits = await self._windows.limits(model)
        refitted = False
        while True:
            budget = self._budget(limits)
            prompt, left_out = summary_prompt(self._counter, model, messages, budget)
            counted = self._counter.count_messages(model, prompt)
            try:
                with ExitStack() as held:
                    if self._budgets.limits_tokens:  # counted until the summary is done
                        held.enter_context(self._budgets.answering(asker, model, counted))
                    result = await self._complete(prompt, model, budget, limits)
            except ModelParameterRejected as exc:
                if exc.param != limits.answer_bound or exc.param == MAX_TOKENS:
                    raise
                limits = await self._windows.use_max_tokens(model, limits)
                continue
            except ModelContextTooLong as exc:
                if refitted:
                    raise
                refitted = True
                limits = await self._windows.learn(model, limits, exc, counted)
                continue
            break
        await self._ledger.record(self._call(asker, model, counted, result))
        log.info("summarized a thread", extra={"messages": len(messages), "left_out": left_out})
        log.debug("thread summary asked for by %s", asker.user_id)
        if not result.text.strip():
            raise ModelError("the model returned an empty summary", code="empty_summary")
        return Summary(result.text.strip(), model)

    def _budget(self, limits: ModelLimits) -> ContextBudget:
        return ContextBudget.for_window(
            limits.window,
            token_ratio=limits.token_ratio,
            answer_max_tokens=SUMMARY_MAX_TOKENS,
            history_limit=self._history_max_tokens,
        )

    async def _complete(
        self, prompt: list[ChatMessage], model: str, budget: ContextBudget, limits: ModelLimits
    ) -> ChatResult:
        bound = budget.reserve_for_answer
        return await self._openai.complete_chat(
            prompt,
            model=model,
            max_completion_tokens=bound if limits.answer_bound == MAX_COMPLETION_TOKENS else None,
            max_tokens=bound if limits.answer_bound == MAX_TOKENS else None,
        )

    def _call(self, asker: Asker, model: str, counted: int, result: ChatResult) -> ModelCall:
        """What the summary's call used: the server's figures, else our own count."""
        if result.usage is not None:
            used = result.usage
            return ModelCall(
                asker, CallKind.CHAT, model, used.prompt_tokens, used.completion_tokens
            )
        answer = self._counter.count_message(model, {"role": "assistant", "content": result.text})
        return ModelCall(asker, CallKind.CHAT, model, counted, answer, estimated=True)

    async def _deliver(self, request: SummaryRequest, reference_id: str) -> None:
        try:
            if await self._refused(request):
                return
            summary = await self._summarize(
                request.team_id,
                request.channel_id,
                request.thread_ts,
                _asker(request),
                progress=request,
            )
            async with self._sessions.begin() as session:
                summary_id = await ThreadSummaryRepository(session).add(
                    team_id=request.team_id,
                    channel_id=request.channel_id,
                    thread_ts=request.thread_ts,
                    requested_by=request.user_id,
                    text=summary.text,
                    model=summary.model,
                )
            await self._messages.show_privately(
                channel=request.channel_id,
                thread_ts=request.thread_ts if request.in_thread else None,
                user_id=request.user_id,
                markdown=summary.text,
                share_id=summary_id,
            )
        except ThreadUnreadable as exc:
            log.info("cannot read a thread to summarize: %s", exc.error)
            await self._tell(request, notices.unreadable_notice(exc.error))
        except NothingToSummarize:
            await self._tell(request, notices.NO_REPLIES)
        except SlackDeliveryError as exc:
            log_failure(
                log,
                "Slack refused a summary",
                exc,
                reference_id=reference_id,
                level=logging.WARNING,
            )
            await self._tell(request, notices.slack_trouble(reference_id))
        except Exception as exc:
            log_failure(
                log, "thread summary failed", exc, reference_id=reference_id, level=logging.WARNING
            )
            await self._tell(request, failure_notice(exc, reference_id))

    async def _share(self, request: ShareRequest) -> None:
        where = SummaryRequest(request.team_id, request.channel_id, "", request.user_id, False)
        async with read_only_session(self._sessions) as session:
            summary = await ThreadSummaryRepository(session).get(
                request.team_id, request.summary_id
            )
        if summary is None or summary.requested_by != request.user_id:
            await self._tell(where, notices.GONE if summary is None else notices.ONLY_REQUESTER)
            return
        async with self._sessions.begin() as session:
            claimed = await ThreadSummaryRepository(session).claim_sharing(
                request.team_id, request.summary_id
            )
        channel, thread_ts, text = summary.channel_id, summary.thread_ts, summary.text
        if not claimed:
            await self._tell(where, notices.ALREADY_SHARED)
            return
        shared_ts: str | None = None
        reference_id = new_reference_id()
        try:
            shared_ts = await self._messages.share(
                channel=channel, thread_ts=thread_ts, markdown=text
            )
        except BotError as exc:
            log_failure(
                log,
                "could not share a summary",
                exc,
                reference_id=reference_id,
                level=logging.WARNING,
            )
            await self._tell(where, notices.slack_trouble(reference_id))
        finally:
            async with self._sessions.begin() as session:
                await ThreadSummaryRepository(session).shared(
                    request.team_id, request.summary_id, shared_ts
                )

    async def _tell(self, request: SummaryRequest, text: str) -> None:
        """A note for the person who asked; Slack refusing even that is only logged."""
        try:
            await self._notes.tell(
                channel=request.channel_id,
                user_id=request.user_id,
                text=text,
                thread_ts=request.thread_ts if request.in_thread else None,
            )
        except BotError as exc:
            log.warning("could not tell about a summary: %s", describe_error(exc))


def _asker(request: SummaryRequest) -> Asker:
    return Asker(
        team_id=request.team_id,
        user_id=request.user_id,
        channel_id=request.channel_id,
        enterprise_id=request.enterprise_id,
    )


def _refusal_asker(request: SummaryRequest) -> RefusalAsker:
    return RefusalAsker(
        RequestKind.SUMMARY,
        request.team_id,
        request.channel_id,
        request.user_id,
        request.thread_ts if request.in_thread else None,
    )
