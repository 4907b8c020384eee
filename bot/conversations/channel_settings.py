"""``/ai-settings``: a channel's own model and system prompt. They apply to new turns; a
conversation's own overrides still win, and the process-wide defaults fill the rest.

``show`` is for everyone and says who changed the settings last, and when. Changes are for
workspace admins and owners and ``ADMIN_USERS`` (``SettingsAccess``), and each one is announced
in the channel in one short line, after Slack has its acknowledgement."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.background import BackgroundTasks
from bot.errors import BotError, describe_error
from bot.policy.settings_access import SettingsAccess
from bot.store.channel_settings_repo import ChannelSettingsRepository
from bot.store.db import read_only_session
from bot.store.models import ChannelSettings

log = logging.getLogger(__name__)

PROMPT_MAX_CHARS = 4000
MODEL_CHECK_SECONDS = 2.0  # a slash command must be acknowledged within 3 s
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$")
USAGE = (
    "Usage: `/ai-settings show` · `/ai-settings model <name>` · "
    "`/ai-settings prompt <text>` · `/ai-settings reset`"
)


@dataclass(frozen=True)
class ChannelOverrides:
    model: str | None
    system_prompt: str | None
    changed_by: str | None = None
    changed_at: datetime | None = None


async def channel_overrides(
    session: AsyncSession, team_id: str, channel_id: str
) -> ChannelOverrides:
    """What a channel set with ``/ai-settings``; None where it uses the defaults."""
    return overrides_of(await ChannelSettingsRepository(session).get(team_id, channel_id))


def overrides_of(row: ChannelSettings | None) -> ChannelOverrides:
    """The overrides a channel's settings row (or its absence) stands for."""
    if row is None:
        return ChannelOverrides(None, None)
    return ChannelOverrides(
        row.model or None, row.system_prompt or None, row.updated_by, row.updated_at
    )


class ModelCatalog(Protocol):
    async def list_models(self) -> list[str]: ...


class Announcer(Protocol):
    async def announce(self, *, channel: str, text: str) -> None: ...


@dataclass(frozen=True)
class ChannelRequest:
    team_id: str
    channel_id: str
    user_id: str
    text: str


class ChannelSettingsService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: ModelCatalog,
        *,
        default_model: str,
        default_prompt: str,
        access: SettingsAccess,
        announcer: Announcer,
        tasks: BackgroundTasks,
    ) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._default_model = default_model
        self._default_prompt = default_prompt
        self._access = access
        self._announcer = announcer
        self._tasks = tasks

    async def apply(self, request: ChannelRequest) -> str:
        """Run one ``/ai-settings`` command; the answer is shown only to the person who asked."""
        verb, _, rest = request.text.strip().partition(" ")
        verb, rest = verb.lower(), rest.strip()
        if verb in ("", "show"):
            return await self._show(request)
        if not ((verb in ("model", "prompt") and rest) or verb == "reset"):
            return USAGE
        refusal = await self._access.may_change(request.user_id, team_id=request.team_id)
        if refusal is not None:
            return refusal.notice
        if verb == "model":
            return await self._set_model(request, rest)
        if verb == "prompt":
            return await self._set_prompt(request, rest)
        async with self._sessions.begin() as session:
            await ChannelSettingsRepository(session).reset(
                request.team_id, request.channel_id, updated_by=request.user_id
            )
        self._announce(request, "reset this channel's model and system prompt to the defaults.")
        return "This channel now uses the default model and system prompt."

    async def _show(self, request: ChannelRequest) -> str:
        async with read_only_session(self._sessions) as session:
            current = await channel_overrides(session, request.team_id, request.channel_id)
        model, prompt = current.model, current.system_prompt
        lines = [
            f"*Model:* `{model or self._default_model}`" + ("" if model else " (default)"),
            "*System prompt:*" + ("" if prompt else " (default)"),
            "> " + (prompt or self._default_prompt).replace("\n", "\n> "),
        ]
        if current.changed_by and current.changed_at:
            lines.append(f"_Last changed by <@{current.changed_by}> {_when(current.changed_at)}._")
        return "\n".join([*lines, USAGE])

    def _announce(self, request: ChannelRequest, what: str) -> None:
        """One line in the channel, so nobody is surprised; sent after the acknowledgement."""
        self._tasks.spawn(
            self._send_announcement(request.channel_id, f"<@{request.user_id}> {what}"),
            name="settings-announcement",
        )

    async def _send_announcement(self, channel: str, text: str) -> None:
        try:
            await self._announcer.announce(channel=channel, text=text)
        except BotError as exc:
            log.warning("could not announce a settings change: %s", describe_error(exc))

    async def _set_model(self, request: ChannelRequest, model: str) -> str:
        if not _MODEL_NAME.match(model):
            return f"`{model[:60]}` is not a model name. {USAGE}"
        refusal = self._access.model_refusal(model)
        if refusal is not None:
            return refusal.notice
        warning = ""
        try:
            async with asyncio.timeout(MODEL_CHECK_SECONDS):
                known = await self._catalog.list_models()
        except (BotError, TimeoutError) as exc:
            log.warning("could not list models to check a channel setting: %s", type(exc).__name__)
            warning = " I couldn't check it with the AI service, so make sure the name is right."
        else:
            if model not in known:
                sample = ", ".join(f"`{name}`" for name in sorted(known)[:15])
                return f"The AI service has no model called `{model}`. Available: {sample}"
        async with self._sessions.begin() as session:
            await ChannelSettingsRepository(session).update(
                request.team_id, request.channel_id, updated_by=request.user_id, model=model
            )
        self._announce(request, f"set this channel's model to `{model}`.")
        return f"New answers in this channel will use `{model}`.{warning}"

    async def _set_prompt(self, request: ChannelRequest, prompt: str) -> str:
        if len(prompt) > PROMPT_MAX_CHARS:
            return (
                f"That system prompt is {len(prompt):,} characters; "
                f"the limit is {PROMPT_MAX_CHARS:,}. Please shorten it."
            )
        async with self._sessions.begin() as session:
            await ChannelSettingsRepository(session).update(
                request.team_id,
                request.channel_id,
                updated_by=request.user_id,
                system_prompt=prompt,
            )
        self._announce(
            request, "changed this channel's system prompt (`/ai-settings show` shows it)."
        )
        return "New answers in this channel will use that system prompt."


def _when(moment: datetime) -> str:
    """A Slack date token: each reader sees it in their own time zone."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    stamp = int(aware.timestamp())
    fallback = aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>"
