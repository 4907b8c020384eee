"""Thread summaries: a thread read once from Slack (bounded), summarized by the model with its
decisions, open questions and owners, and shown only to the person who asked, who may share it
in the thread.

``summarize`` is the whole job as one call (a tool can wrap it); ``request`` and ``share`` run
the shortcut's and the button's work in the background, so Slack is acknowledged at once, and
turn every failure into a sentence for the person, with a reference id when it is ours.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.background import BackgroundTasks
from bot.conversations.budget import ContextBudget, context_window_for_model
from bot.conversations.catch_up import ThreadMessage
from bot.conversations.channel_settings import channel_overrides
from bot.conversations.notices import failure_notice
from bot.conversations.tokens import TokenCounter
from bot.errors import (
    BotError,
    ModelError,
    SlackDeliveryError,
    ThreadUnreadable,
    describe_error,
)
from bot.openai_api.client import OpenAIClient
from bot.reference import new_reference_id
from bot.slack_output.summary_messages import SummaryMessages
from bot.slack_output.user_notes import UserNotes
from bot.store.db import read_only_session
from bot.store.summaries_repo import ThreadSummaryRepository
from bot.summaries import notices
from bot.summaries.transcript import summary_prompt

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
        default_context_tokens: int,
    ) -> None:
        self._sessions = sessions
        self._reader = reader
        self._openai = openai
        self._counter = counter
        self._messages = messages
        self._notes = notes
        self._tasks = tasks
        self._model = model
        self._default_context_tokens = default_context_tokens

    async def summarize(
        self, team_id: str, channel_id: str, thread_ts: str, *, requester: str
    ) -> str:
        """The thread's summary in Markdown, for the Slack user ``requester`` (a caller that is
        not the shortcut, such as a tool, must first check they may see that thread).
        ``ThreadUnreadable`` when Slack will not let the bot read it, ``NothingToSummarize``
        for a message without replies, ``ModelError`` when the model gives none."""
        summary = await self._summarize(team_id, channel_id, thread_ts, requester)
        return summary.text

    def request(self, request: SummaryRequest) -> None:
        self._tasks.spawn(self._deliver(request), name="thread-summary")

    def share(self, request: ShareRequest) -> None:
        self._tasks.spawn(self._share(request), name="thread-summary-share")

    async def _summarize(
        self,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        requester: str,
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
        window = context_window_for_model(model, self._default_context_tokens)
        budget = ContextBudget(window, min(SUMMARY_MAX_TOKENS, window // 2))
        prompt, left_out = summary_prompt(self._counter, model, messages, budget)
        result = await self._openai.complete_chat(
            prompt, model=model, max_completion_tokens=budget.reserve_for_answer
        )
        log.info("summarized a thread", extra={"messages": len(messages), "left_out": left_out})
        log.debug("thread summary asked for by %s", requester)
        if not result.text.strip():
            raise ModelError("the model returned an empty summary", code="empty_summary")
        return Summary(result.text.strip(), model)

    async def _deliver(self, request: SummaryRequest) -> None:
        reference_id = new_reference_id()
        try:
            summary = await self._summarize(
                request.team_id,
                request.channel_id,
                request.thread_ts,
                request.user_id,
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
            log.warning(
                "Slack refused a summary: %s", exc.error, extra={"reference_id": reference_id}
            )
            await self._tell(request, notices.slack_trouble(reference_id))
        except Exception as exc:
            log.warning(
                "thread summary failed: %s",
                describe_error(exc),
                exc_info=not isinstance(exc, BotError),
                extra={"reference_id": reference_id},
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
            log.warning(
                "could not share a summary: %s",
                describe_error(exc),
                extra={"reference_id": reference_id},
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
