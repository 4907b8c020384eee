"""``/imagine``: record the request, ask the image model, share the PNGs as Slack files, and
record what happened. The person who asked hears about every outcome; only they see failures."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.background import BackgroundTasks
from bot.conversations.progress import Progress, TaskState
from bot.conversations.work_steps import DRAWING
from bot.errors import BotError, ModelRefused, SlackDeliveryError, describe_error, log_failure
from bot.images.help_text import usage_text
from bot.images.notices import (
    failure_notice,
    generating_notice,
    image_comment,
    moved_to_dm_notice,
    usage_error_notice,
)
from bot.images.options import ImagineHelp, ImagineRequest, ImagineUsageError, parse_imagine
from bot.metrics import Metrics
from bot.openai_api.client import OpenAIClient
from bot.openai_api.images import GeneratedImage
from bot.policy.budgets import Budgets
from bot.policy.refusals import Asker as RefusalAsker
from bot.policy.refusals import RefusalDesk
from bot.policy.rules import Policies, PolicyRequest, RequestKind
from bot.reference import new_reference_id
from bot.slack_output.files import SlackFiles, UploadFile
from bot.slack_output.user_notes import CHANNEL_UNREACHABLE, UserNotes
from bot.store.image_requests_repo import ImageRequestRepository
from bot.store.models import ImageStatus
from bot.usage.calls import Asker, CallKind, ModelCall
from bot.usage.ledger import UsageLedger

log = logging.getLogger(__name__)

ADMIT_SECONDS = 1.0
"""How long the access rules may take before the acknowledgement (Slack waits 3 s)."""
_TITLE_CHARS = 100
_SLUG_CHARS = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_TYPED_COMMAND = re.compile(r"^\s*/imagine(?:\s+|$)", re.IGNORECASE)


def typed_imagine(text: str) -> str | None:
    """The options of an ``/imagine`` typed as a message (slash commands do not run in agent
    threads, so a DM may carry one as text), or None when the message is not one."""
    match = _TYPED_COMMAND.match(text)
    return None if match is None else text[match.end() :].strip()


@dataclass(frozen=True)
class ImaginePlan:
    """What the acknowledgement shows, and the request to carry out (None: nothing to do)."""

    reply: str
    request: ImagineRequest | None


@dataclass(frozen=True)
class ImagineCommand:
    """One ``/imagine`` to carry out, as the edge read it from Slack."""

    team_id: str
    enterprise_id: str | None
    channel_id: str
    user_id: str
    bot_user_id: str | None
    request: ImagineRequest
    thread_ts: str | None = None
    """Delivered into this thread (an /imagine typed in a DM thread) instead of the channel."""


@dataclass(frozen=True)
class _Delivery:
    channel_id: str
    file_ids: list[str]


class ImageService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        openai: OpenAIClient,
        files: SlackFiles,
        notes: UserNotes,
        model: str,
        metrics: Metrics,
        tasks: BackgroundTasks,
        policies: Policies,
        refusals: RefusalDesk,
        budgets: Budgets,
        ledger: UsageLedger,
    ) -> None:
        self._policies = policies
        self._refusals = refusals
        self._sessions = sessions
        self._budgets = budgets
        self._ledger = ledger
        self._metrics = metrics
        self._openai = openai
        self._files = files
        self._notes = notes
        self._model = model
        self._tasks = tasks

    def plan(self, text: str) -> ImaginePlan:
        """Read the command text (pure, fast: it runs before Slack's 3-second ack)."""
        try:
            parsed = parse_imagine(text, self._model)
        except ImagineUsageError as exc:
            return ImaginePlan(usage_error_notice(exc.message, usage_text(self._model)), None)
        if isinstance(parsed, ImagineHelp):
            return ImaginePlan(parsed.text, None)
        return ImaginePlan(generating_notice(parsed), parsed)

    def start(self, command: ImagineCommand) -> None:
        """Generate and deliver in the background (call it after Slack's acknowledgement).

        The process's background tasks own it, so a shutdown drains it rather than cut a
        request off half done. Failures the person can be told about never escape it."""
        reference_id = new_reference_id()
        self._tasks.spawn(
            self.create(command, reference_id=reference_id),
            name="imagine",
            reference_id=reference_id,
        )

    async def admit(self, command: ImagineCommand) -> str | None:
        """Before the acknowledgement: the refusal to show instead of "generating", when the
        access rules answer in time (the background checks them again if they did not)."""
        try:
            async with asyncio.timeout(ADMIT_SECONDS):
                refusal = await self._policies.access.check(self._policy_request(command))
        except TimeoutError:
            return None
        if refusal is None:
            return None
        await self._refusals.record(_asker(command), refusal)
        return refusal.notice

    async def _refused(self, command: ImagineCommand) -> bool:
        """The same rules as answers: who may ask, where, and (moderation) the prompt."""
        request = self._policy_request(command)
        refusal = await self._policies.access.check(request)
        refusal = refusal or await self._policies.content.check(request)
        if refusal is not None:
            await self._refusals.refuse(_asker(command), refusal)
        return refusal is not None

    def _policy_request(self, command: ImagineCommand) -> PolicyRequest:
        return PolicyRequest(
            kind=RequestKind.IMAGE,
            team_id=command.team_id,
            channel_id=command.channel_id,
            user_id=command.user_id,
            is_dm=command.channel_id.startswith("D"),
            model=self._model,
            text=command.request.prompt,
        )

    async def create(
        self,
        command: ImagineCommand,
        progress: Progress | None = None,
        *,
        reference_id: str | None = None,
    ) -> None:
        """Generate and deliver, showing the drawing on ``progress`` as a step of work."""
        if await self._refused(command):
            return
        reference_id = reference_id or new_reference_id()
        request = command.request
        extra = {"reference_id": reference_id, "model": self._model, "n": request.n}
        asker = Asker(
            team_id=command.team_id,
            user_id=command.user_id,
            channel_id=command.channel_id,
            enterprise_id=command.enterprise_id,
        )
        try:
            refusal = await self._budgets.check_images(asker, request.n)
            if refusal is not None:
                log.info("image request over budget: %s", refusal.code, extra=extra)
                await self._refusals.refuse(_asker(command), refusal)
                return
            request_id = await self._record(command, reference_id)
        except Exception as exc:  # the database is down: say so rather than fall silent
            log_failure(log, "could not record the image request", exc, extra=extra)
            await self._tell(command, failure_notice(exc, reference_id), reference_id)
            return
        if progress is not None:
            await progress.task(DRAWING.at(TaskState.IN_PROGRESS, request.prompt[:100]))
        try:
            images = await self._openai.generate_images(
                request.prompt,
                model=self._model,
                n=request.n,
                size=request.size,
                quality=request.quality,
                extra=request.extra,
            )
            await self._ledger.record(
                ModelCall(
                    asker,
                    CallKind.IMAGE,
                    self._model,
                    images=len(images),
                    image_size=request.size,
                    image_quality=request.quality,
                )
            )
            delivery = await self._deliver(command, images)
        except Exception as exc:
            status = ImageStatus.DECLINED if isinstance(exc, ModelRefused) else ImageStatus.FAILED
            level = logging.WARNING if isinstance(exc, BotError) else logging.ERROR
            log_failure(log, f"image request {status}", exc, level=level, extra=extra)
            await self._finish(command, request_id, status=status, error=describe_error(exc))
            if progress is not None:
                await progress.task(DRAWING.at(TaskState.ERROR))
            await self._tell(command, failure_notice(exc, reference_id), reference_id)
            return
        if progress is not None:
            await progress.task(DRAWING.at(TaskState.COMPLETE))
        log.info("image request delivered", extra=extra)
        self._metrics.images_generated(len(images))
        await self._finish(
            command,
            request_id,
            status=ImageStatus.DELIVERED,
            delivered_to=delivery.channel_id,
            file_ids=delivery.file_ids,
        )

    async def _deliver(self, command: ImagineCommand, images: list[GeneratedImage]) -> _Delivery:
        """Into the channel; where the bot cannot post, into the person's DM with a note."""
        files = _upload_files(command.request.prompt, images)
        comment = image_comment(command.user_id, command.request.prompt, images)
        try:
            file_ids = await self._files.upload(
                channel=command.channel_id,
                files=files,
                initial_comment=comment,
                thread_ts=command.thread_ts,
            )
            return _Delivery(command.channel_id, file_ids)
        except SlackDeliveryError as exc:
            if exc.error not in CHANNEL_UNREACHABLE:
                raise
            log.info("cannot post in the channel (%s); delivering by DM", exc.error)
        dm = await self._notes.open_dm(command.user_id)
        note = moved_to_dm_notice(command.channel_id, command.bot_user_id)
        file_ids = await self._files.upload(
            channel=dm, files=files, initial_comment=f"{note}\n{comment}"
        )
        return _Delivery(dm, file_ids)

    async def _tell(self, command: ImagineCommand, text: str, reference_id: str) -> None:
        try:
            await self._notes.tell(channel=command.channel_id, user_id=command.user_id, text=text)
        except BotError as exc:
            log_failure(
                log,
                "could not tell the user about a failed image request",
                exc,
                reference_id=reference_id,
            )

    async def _record(self, command: ImagineCommand, reference_id: str) -> int:
        request = command.request
        options: dict[str, object] = {"n": request.n, **request.extra}
        if request.size is not None:
            options["size"] = request.size
        if request.quality is not None:
            options["quality"] = request.quality
        async with self._sessions.begin() as session:
            return await ImageRequestRepository(session).add(
                team_id=command.team_id,
                enterprise_id=command.enterprise_id,
                channel_id=command.channel_id,
                user_id=command.user_id,
                prompt=request.prompt,
                options=options,
                model=self._model,
                reference_id=reference_id,
            )

    async def _finish(
        self,
        command: ImagineCommand,
        request_id: int,
        *,
        status: ImageStatus,
        delivered_to: str | None = None,
        file_ids: list[str] | None = None,
        error: str | None = None,
    ) -> None:
        async with self._sessions.begin() as session:
            await ImageRequestRepository(session).finish(
                request_id,
                team_id=command.team_id,
                status=status,
                delivered_to=delivered_to,
                file_ids=file_ids or [],
                error=error,
            )


def _asker(command: ImagineCommand) -> RefusalAsker:
    return RefusalAsker(RequestKind.IMAGE, command.team_id, command.channel_id, command.user_id)


def _upload_files(prompt: str, images: list[GeneratedImage]) -> list[UploadFile]:
    slug = _NOT_SLUG.sub("-", prompt.lower())[:_SLUG_CHARS].strip("-") or "image"
    title = prompt if len(prompt) <= _TITLE_CHARS else prompt[: _TITLE_CHARS - 1] + "…"
    return [
        UploadFile(
            data=image.data,
            filename=f"{slug}.png" if len(images) == 1 else f"{slug}-{number}.png",
            title=title if len(images) == 1 else f"{title} ({number}/{len(images)})",
        )
        for number, image in enumerate(images, start=1)
    ]
