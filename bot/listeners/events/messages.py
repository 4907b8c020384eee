"""``app_mention`` and ``message.*``: record the message for answering, then let Bolt ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.conversations.intake import MessageIntake
from bot.listeners.events.message_payloads import incoming_message

log = logging.getLogger(__name__)


async def handle_message_event(
    body: dict[str, Any],
    event: dict[str, Any],
    context: AsyncBoltContext,
    intake: MessageIntake,
) -> None:
    """Runs before the acknowledgement (``process_before_response``): only records."""
    message = incoming_message(body, event, context.bot_user_id)
    if message is None:
        return
    await intake.accept(message)
