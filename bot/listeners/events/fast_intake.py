"""The acknowledgement path for messages: a mention or a message is recorded and Slack answered
without Bolt's full dispatch (its middleware chain, listener matching and per-request context
cost more than the recording itself). Everything else (edits, commands, actions, other events,
Socket Mode) goes through Bolt as usual; the same ``incoming_message`` decides either way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.conversations.intake import MessageIntake
from bot.listeners.events.edits import EDIT_SUBTYPES
from bot.listeners.events.message_payloads import incoming_message
from bot.store.loop_thread import Runner

_MESSAGE_EVENTS = frozenset({"app_mention", "message"})

BOT_USER_TTL_SECONDS = 300.0
"""How long the fast path trusts a workspace's bot user id before asking again."""

BotUserOf = Callable[[Mapping[str, Any]], Awaitable[str | None]]
"""The bot's user id in the workspace a delivery came from; None: the app is not installed
there (OAuth mode), so the delivery is not recorded."""

InstallationKey = tuple[str | None, str | None, bool]


def installation_of(body: Mapping[str, Any]) -> InstallationKey:
    """The installation a delivery is for (enterprise, team, org-wide), found as Bolt finds
    it: ``authorizations[0]`` first, right for shared channels and org installs."""
    authorizations = body.get("authorizations") or [{}]
    first = authorizations[0] if isinstance(authorizations[0], Mapping) else {}
    return (
        first.get("enterprise_id") or body.get("enterprise_id"),
        first.get("team_id") or body.get("team_id"),
        bool(first.get("is_enterprise_install", body.get("is_enterprise_install"))),
    )


def app_bot_user(client: AsyncWebClient) -> BotUserOf:
    """One workspace: the bot's own user id, asked of Slack once (``auth.test``)."""
    identity = asyncio.Lock()
    known: list[str] = []

    async def find(_body: Mapping[str, Any]) -> str:
        async with identity:
            if not known:
                known.append(str((await client.auth_test())["user_id"]))
            return known[0]

    return find


class FastMessageIntake:
    """Runs on the loop intake records on; ``run`` takes ``bot_user_of`` to the bot's loop
    (where its clients live). Found bot users are remembered a while (a workspace that is
    not installed is asked again each time: it may have just installed the app)."""

    def __init__(
        self, intake: MessageIntake, bot_user_of: BotUserOf, run: Runner[str | None]
    ) -> None:
        self._intake = intake
        self._bot_user_of = bot_user_of
        self._run = run
        self._known: dict[InstallationKey, tuple[str, float]] = {}

    @staticmethod
    def handles(body: Mapping[str, Any]) -> bool:
        """Whether ``body`` is a message event this path records (the envelope is checked)."""
        event = body.get("event")
        return (
            body.get("type") == "event_callback"
            and isinstance(event, Mapping)
            and event.get("type") in _MESSAGE_EVENTS
            and event.get("subtype") not in EDIT_SUBTYPES
        )

    async def accept(self, body: Mapping[str, Any]) -> None:
        """Record the message if it is one to answer (Slack gets its 200 either way)."""
        event = body["event"]
        bot_user = await self._bot_user(body)
        if bot_user is None:
            return
        message = incoming_message(body, event, bot_user)
        if message is not None:
            await self._intake.accept(message)

    async def _bot_user(self, body: Mapping[str, Any]) -> str | None:
        key, now = installation_of(body), time.monotonic()
        known = self._known.get(key)
        if known is not None and known[1] > now:
            return known[0]
        bot_user = await self._run(lambda: self._bot_user_of(body))
        if bot_user is not None:
            self._known[key] = (bot_user, now + BOT_USER_TTL_SECONDS)
        return bot_user
