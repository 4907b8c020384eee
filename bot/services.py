"""The long-lived objects of one process: built once, in one place, and closed by one exit
stack (``async with open_services(settings) as services``), used by ``run`` and ``check``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.background import BackgroundTasks
from bot.byte_budget import MIB, ByteBudget
from bot.config import Settings
from bot.conversations.answer import AnswerRunner
from bot.conversations.catch_up import CatchUp
from bot.conversations.channel_settings import ChannelSettingsService
from bot.conversations.earlier_attempt import EarlierAttempt
from bot.conversations.edits import TurnEdits
from bot.conversations.intake import MESSAGE_KIND, MessageIntake, admit_messages
from bot.conversations.locks_pg import thread_locks_for
from bot.conversations.policy_checks import PolicyChecks
from bot.conversations.prompt import AnswerPolicy, PromptBuilder
from bot.conversations.service import ConversationService
from bot.conversations.tokens import TokenCounter
from bot.conversations.tool_loop import ToolLoop
from bot.conversations.vision import AttachmentLimits, ImageInputs
from bot.conversations.windows import ModelWindows, server_identity
from bot.documents import DocumentLimits, DocumentReader
from bot.home.content import HomeModels
from bot.home.service import AppHome
from bot.images.service import ImageService
from bot.inbox import Handler, Inbox
from bot.installations import (
    Installations,
    Uninstalls,
    build_installations,
    token_in_use,
)
from bot.installations.serving import serving_its_team
from bot.metrics import Metrics
from bot.openai_api.client import OpenAIClient
from bot.policy.budgets import Budgets
from bot.policy.refusals import RefusalDesk
from bot.policy.settings_access import SettingsAccess
from bot.privacy.retention import RetentionPurge
from bot.service_builders import (
    budget_limits,
    build_moderation_client,
    build_openai_client,
    build_policies,
    build_slack_client,
    build_toolbox,
)
from bot.slack_input import SlackFileDownloader, SlackThreadReader
from bot.slack_input.people import SlackPeople
from bot.slack_output.agent_surface import AgentSurface, SuggestedPrompt
from bot.slack_output.announcements import ChannelAnnouncer
from bot.slack_output.confirm_prompts import SlackConfirmationPrompts
from bot.slack_output.files import SlackFiles
from bot.slack_output.refusals import SlackRefusals
from bot.slack_output.retire import ReplyRetirer
from bot.slack_output.streaming import SlackReplies
from bot.slack_output.summary_messages import SummaryMessages
from bot.slack_output.user_notes import UserNotes
from bot.store.db import (
    create_engine,
    create_intake_engine,
    create_session_factory,
    is_sqlite,
)
from bot.store.loop_thread import LoopRunner
from bot.store.write_gate import INTAKE, WriteGate
from bot.summaries import ThreadSummaries
from bot.tools.confirm import Confirmations
from bot.tools.toolbox import Toolbox
from bot.usage.ledger import Clock, UsageLedger, utc_now
from bot.usage.prices import PriceTable
from bot.usage.summary import LedgerSummary


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
    moderator: OpenAIClient | None
    """The moderation server's client; None with ``MODERATION=off``."""
    ledger: UsageLedger
    retention: RetentionPurge
    surface: AgentSurface
    home: AppHome
    toolbox: Toolbox
    confirmations: Confirmations
    confirm_prompts: SlackConfirmationPrompts
    uninstalls: Uninstalls
    summaries: ThreadSummaries
    installations: Installations | None = None
    """OAuth mode only (``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET``)."""


def _intake_sessions(
    settings: Settings, stack: AsyncExitStack, gate: WriteGate | None, front: LoopRunner | None
) -> tuple[async_sessionmaker[AsyncSession], LoopRunner | None]:
    """Intake's sessions, on connections of its own so an acknowledgement never waits for one
    that answering work holds, and the loop intake runs on: on SQLite this one (intake goes
    first at the gate), on PostgreSQL the HTTP front's when there is one (see ``LoopThread``)."""
    engine = create_intake_engine(settings.database_url)
    if gate is not None or front is None:
        stack.push_async_callback(engine.dispose)
        return create_session_factory(engine, gate, INTAKE), None
    stack.push_async_callback(front.run, engine.dispose)  # its connections live on that loop
    return create_session_factory(engine), front


@asynccontextmanager
async def open_services(
    settings: Settings, clock: Clock = utc_now, front: LoopRunner | None = None
) -> AsyncIterator[Services]:
    """Build every long-lived object; on exit close each one, whatever failed. ``clock`` is
    what budgets, the usage ledger and retention take for now; ``front`` the HTTP front's
    loop, where intake may run (``Inbox.intake_loop``)."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        gate = WriteGate() if is_sqlite(settings.database_url) else None
        sessions = create_session_factory(engine, gate)
        intake_sessions, intake_loop = _intake_sessions(settings, stack, gate, front)
        metrics = Metrics()
        slack = build_slack_client(settings, metrics)
        assert slack.session is not None
        stack.push_async_callback(slack.session.close)
        openai = build_openai_client(settings, metrics)
        stack.push_async_callback(openai.aclose)
        moderator = build_moderation_client(settings, metrics)
        if moderator is not None:
            stack.push_async_callback(moderator.aclose)
        installations = (
            build_installations(settings, sessions, engine, slack) if settings.oauth else None
        )
        people = SlackPeople(slack)
        policies, moderation = build_policies(settings, people, moderator, metrics)
        # One workspace-role check and cache, for /ai-settings and the App Home alike.
        settings_access = SettingsAccess(
            people,
            admin_users=settings.admin_users,
            default_model=settings.openai_model,
            allowed_models=settings.allowed_models,
        )
        downloads = SlackFileDownloader(
            token_in_use(settings.slack_bot_token or None), settings.slack_api_url
        )
        stack.push_async_callback(downloads.aclose)
        tasks = BackgroundTasks()
        replies = SlackReplies(slack, tasks=tasks)
        refusals = RefusalDesk(sessions, SlackRefusals(replies, UserNotes(slack)), metrics)
        counter = TokenCounter()
        thread_reader = SlackThreadReader(slack)
        # Images and files being read share one budget of bytes held at once.
        in_flight = ByteBudget(settings.max_attachment_mb_in_flight * MIB)
        prices = PriceTable(settings.model_prices)
        budgets = Budgets(sessions, budget_limits(settings), prices, clock)
        ledger = UsageLedger(sessions, prices=prices, metrics=metrics, clock=clock)
        retention = RetentionPurge(sessions, engine, days=settings.retention_days, clock=clock)
        stack.push_async_callback(retention.stop)
        windows = ModelWindows(
            sessions,
            server=server_identity(settings.openai_base_url),
            configured=settings.model_context_tokens,
        )
        prompts = PromptBuilder(
            sessions=sessions,
            counter=counter,
            policy=AnswerPolicy(
                model=settings.openai_model,
                system_prompt=settings.system_prompt,
                answer_max_tokens=settings.answer_max_tokens,
                history_max_tokens=settings.history_max_tokens,
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
            windows=windows,
        )
        surface = AgentSurface(slack)
        images = ImageService(
            sessions=sessions,
            openai=openai,
            files=SlackFiles(slack),
            notes=UserNotes(slack),
            model=settings.openai_image_model,
            metrics=metrics,
            tasks=tasks,
            policies=policies,
            refusals=refusals,
            budgets=budgets,
            ledger=ledger,
        )
        summaries = ThreadSummaries(
            sessions=sessions,
            reader=thread_reader,
            openai=openai,
            counter=counter,
            messages=SummaryMessages(slack),
            notes=UserNotes(slack),
            tasks=tasks,
            model=settings.openai_model,
            history_max_tokens=settings.history_max_tokens,
            windows=windows,
            policies=policies,
            refusals=refusals,
            budgets=budgets,
            ledger=ledger,
        )
        toolbox = build_toolbox(settings, images, summaries)
        stack.push_async_callback(toolbox.aclose)
        await toolbox.start()
        confirm_prompts = SlackConfirmationPrompts(slack)
        confirmations = Confirmations(
            confirm_prompts, sessions, timeout=settings.tool_confirm_timeout_seconds
        )
        loop = ToolLoop(
            openai=openai,
            toolbox=toolbox,
            sessions=sessions,
            confirmations=confirmations,
            count=prompts.count_answer_if_loaded,  # tool turns never load the tokenizer
            max_rounds=settings.max_tool_rounds,
            reasoning_effort=settings.openai_reasoning_effort or None,
        )
        conversations = ConversationService(
            prompts=prompts,
            answers=AnswerRunner(
                prompts=prompts,
                loop=loop,
                windows=windows,
                answer_check=moderation,
            ),
            replies=replies,
            budgets=budgets,
            ledger=ledger,
            earlier=EarlierAttempt(sessions, ReplyRetirer(replies)),
            locks=thread_locks_for(engine),
            metrics=metrics,
            policy=PolicyChecks(policies, refusals, sessions),
            surface=surface,
            images=images,
        )
        handle_message: Handler = conversations.handle
        if installations is not None:
            handle_message = serving_its_team(handle_message, installations.authorizer)
        inbox = Inbox(
            sessions,
            {MESSAGE_KIND: handle_message},
            admitters={MESSAGE_KIND: admit_messages},
            intake_sessions=intake_sessions,
            intake_loop=intake_loop,
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
            images=images,
            edits=TurnEdits(sessions),
            channel_settings=ChannelSettingsService(
                sessions,
                openai,
                default_model=settings.openai_model,
                default_prompt=settings.system_prompt,
                access=settings_access,
                announcer=ChannelAnnouncer(slack),
                tasks=tasks,
            ),
            moderator=moderator,
            ledger=ledger,
            retention=retention,
            surface=surface,
            home=AppHome(
                sessions=sessions,
                surface=surface,
                roles=settings_access,
                prompts=[SuggestedPrompt(t, m) for t, m in settings.suggested_prompts],
                models=HomeModels(settings.openai_model, settings.openai_image_model),
                usage=LedgerSummary(sessions, prices, clock),
            ),
            toolbox=toolbox,
            confirmations=confirmations,
            confirm_prompts=confirm_prompts,
            uninstalls=Uninstalls(
                sessions,
                installations.authorizer if installations else None,
                purge=settings.purge_on_uninstall,
            ),
            installations=installations,
            summaries=summaries,
        )
