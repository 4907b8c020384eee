"""The long-lived objects of one process: built once, in one place, and closed by one exit
stack (``async with open_services(settings) as services``), used by ``run`` and ``check``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.background import BackgroundTasks
from bot.byte_budget import MIB, ByteBudget
from bot.config import Settings
from bot.conversations.answer import AnswerRunner
from bot.conversations.catch_up import CatchUp
from bot.conversations.channel_settings import ChannelSettingsService
from bot.conversations.edits import TurnEdits
from bot.conversations.intake import MESSAGE_KIND, MessageIntake, admit_messages
from bot.conversations.locks_pg import thread_locks_for
from bot.conversations.prompt import AnswerPolicy, PromptBuilder
from bot.conversations.service import ConversationService
from bot.conversations.tokens import TokenCounter
from bot.conversations.vision import AttachmentLimits, ImageInputs
from bot.documents import DocumentLimits, DocumentReader
from bot.images.service import ImageService
from bot.inbox import Inbox
from bot.metrics import Metrics, SlackErrorCounter
from bot.openai_api.client import OpenAIClient
from bot.openai_api.retry import RetryPolicy
from bot.slack_input import SlackFileDownloader, SlackThreadReader
from bot.slack_output.files import SlackFiles
from bot.slack_output.streaming import SlackReplies
from bot.slack_output.summary_messages import SummaryMessages
from bot.slack_output.user_notes import UserNotes
from bot.store.db import create_engine, create_session_factory, is_sqlite
from bot.store.write_gate import INTAKE, WriteGate
from bot.summaries import ThreadSummaries


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    slack: AsyncWebClient
    openai: OpenAIClient
    metrics: Metrics
    tasks: BackgroundTasks
    counter: TokenCounter
    replies: SlackReplies
    inbox: Inbox
    intake: MessageIntake
    conversations: ConversationService
    images: ImageService
    edits: TurnEdits
    channel_settings: ChannelSettingsService
    summaries: ThreadSummaries


def build_slack_client(settings: Settings, metrics: Metrics) -> AsyncWebClient:
    """One client with one connection pool (call inside the event loop; close its session).

    No retry on Slack 5xx: Slack may have done what a postMessage or appendStream asked before
    failing, and a retry would then double a reply or a chunk. Rate limits are retried as asked."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=aiohttp.ClientSession(),
        retry_handlers=[
            SlackErrorCounter(metrics),  # first: it sees every response, then lets others retry
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_openai_client(settings: Settings, metrics: Metrics) -> OpenAIClient:
    return OpenAIClient(
        settings.openai_base_url,
        settings.openai_api_key,
        connect_timeout=settings.openai_connect_timeout,
        read_timeout=settings.openai_read_timeout,
        stream_idle_timeout=settings.openai_stream_idle_timeout,
        retry=RetryPolicy(max_total=settings.openai_max_retry_seconds),
        on_error=metrics.openai_error,
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Build every long-lived object; on exit close each one, whatever failed."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        gate = WriteGate() if is_sqlite(settings.database_url) else None
        sessions = create_session_factory(engine, gate)
        # Intake has connections of its own: an acknowledgement never waits for a connection
        # that answering work holds (and on SQLite it goes first at the gate).
        intake_engine = create_engine(settings.database_url, pool_size=4, max_overflow=4)
        stack.push_async_callback(intake_engine.dispose)
        intake_sessions = create_session_factory(intake_engine, gate, INTAKE)
        metrics = Metrics()
        slack = build_slack_client(settings, metrics)
        assert slack.session is not None
        stack.push_async_callback(slack.session.close)
        openai = build_openai_client(settings, metrics)
        stack.push_async_callback(openai.aclose)
        downloads = SlackFileDownloader(settings.slack_bot_token, settings.slack_api_url)
        stack.push_async_callback(downloads.aclose)
        tasks = BackgroundTasks()
        replies = SlackReplies(slack, tasks=tasks)
        counter = TokenCounter()
        thread_reader = SlackThreadReader(slack)
        # Images and files being read share one budget of bytes held at once.
        in_flight = ByteBudget(settings.max_attachment_mb_in_flight * MIB)
        prompts = PromptBuilder(
            sessions=sessions,
            counter=counter,
            policy=AnswerPolicy(
                model=settings.openai_model,
                system_prompt=settings.system_prompt,
                default_context_tokens=settings.model_context_tokens,
                answer_max_tokens=settings.answer_max_tokens,
            ),
            catch_up=CatchUp(sessions, thread_reader, counter),
            images_in=ImageInputs(
                downloads,
                settings.vision_models.split(","),
                limits=AttachmentLimits(
                    max_images=settings.max_images_per_message,
                    max_bytes=settings.max_attachment_mb_per_message * MIB,
                    in_flight=in_flight,
                ),
            ),
            documents=DocumentReader(
                downloads,
                counter,
                DocumentLimits(
                    max_bytes=min(settings.max_file_mb, settings.max_attachment_mb_in_flight) * MIB,
                    max_tokens=settings.file_text_max_tokens,
                    in_flight=in_flight,
                ),
            ),
        )
        conversations = ConversationService(
            prompts=prompts,
            answers=AnswerRunner(openai=openai, prompts=prompts, metrics=metrics),
            replies=replies,
            locks=thread_locks_for(engine),
            metrics=metrics,
        )
        inbox = Inbox(
            sessions,
            {MESSAGE_KIND: conversations.handle},
            admitters={MESSAGE_KIND: admit_messages},
            intake_sessions=intake_sessions,
            lease_seconds=settings.inbox_lease_seconds,
            concurrency=settings.worker_concurrency,
            metrics=metrics,
        )
        yield Services(
            settings,
            engine,
            sessions,
            slack,
            openai,
            metrics,
            tasks,
            counter,
            replies,
            inbox,
            MessageIntake(inbox),
            conversations,
            images=ImageService(
                sessions=sessions,
                openai=openai,
                files=SlackFiles(slack),
                notes=UserNotes(slack),
                model=settings.openai_image_model,
                metrics=metrics,
                tasks=tasks,
            ),
            edits=TurnEdits(sessions),
            channel_settings=ChannelSettingsService(
                sessions,
                openai,
                default_model=settings.openai_model,
                default_prompt=settings.system_prompt,
            ),
            summaries=ThreadSummaries(
                sessions=sessions,
                reader=thread_reader,
                openai=openai,
                counter=counter,
                messages=SummaryMessages(slack),
                notes=UserNotes(slack),
                tasks=tasks,
                model=settings.openai_model,
                default_context_tokens=settings.model_context_tokens,
            ),
        )
