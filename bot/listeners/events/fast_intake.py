"""The acknowledgement path for messages: a mention or a message is recorded and Slack answered
without Bolt's full dispatch (its middleware chain, listener matching and per-request context
cost more than the recording itself). Everything else (edits, commands, actions, other events,
Socket Mode) goes through Bolt as usual; the same ``incoming_message`` decides either way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.conversations.intake import MessageIntake
from bot.listeners.events.edits import EDIT_SUBTYPES
from bot.listeners.events.message_payloads import incoming_message

_MESSAGE_EVENTS = frozenset({"app_mention", "message"})

BotUserOf = Callable[[Mapping[str, Any]], Awaitable[str | None]]
"""The bot's user id in the workspace a delivery came from; None: the app is not installed
there (OAuth mode), so the delivery is not recorded."""


class FastMessageIntake:
    def __init__(
        self, client: AsyncWebClient, intake: MessageIntake, bot_user_of: BotUserOf | None = None
    ) -> None:
        self._client = client
        self._intake = intake
        self._bot_user_of = bot_user_of
        self._bot_user_id: str | None = None
        self._identity = asyncio.Lock()

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
        bot_user = await (self._bot_user_of or self._bot_user_of_app)(body)
        if bot_user is None:
            return
        message = incoming_message(body, event, bot_user)
        if message is not None:
            await self._intake.accept(message)

    async def _bot_user_of_app(self, _body: Mapping[str, Any]) -> str:
        """The bot's own user id (to ignore its own messages and find mentions), asked once."""
        async with self._identity:
            if self._bot_user_id is None:
                self._bot_user_id = str((await self._client.auth_test())["user_id"])
            return self._bot_user_id
