"""Recording a Slack message for answering, before Slack is acknowledged."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations.values import IncomingMessage
from bot.inbox import Delivery, Inbox
from bot.store.conversations_repo import ConversationRepository

MESSAGE_KIND = "message"
"""The inbox kind of deliveries that are a user's message to answer."""


class MessageIntake:
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def accept(self, message: IncomingMessage) -> bool:
        """Record the message durably if it is ours; False for a duplicate or not ours.

        DMs and mentions start (or continue) a conversation; other thread replies are ours only
        when the thread already is a conversation.
        """

        async def relevant(session: AsyncSession) -> bool:
            conversations = ConversationRepository(session)
            if message.is_dm or message.mentioned:
                await conversations.get_or_create(
                    team_id=message.team_id,
                    enterprise_id=message.enterprise_id,
                    channel_id=message.channel_id,
                    thread_ts=message.thread_ts,
                    kind=message.kind,
                )
                return True
            known = await conversations.get(message.team_id, message.channel_id, message.thread_ts)
            return known is not None

        delivery = Delivery(
            event_id=message.event_id,
            team_id=message.team_id,
            kind=MESSAGE_KIND,
            payload=message.to_payload(),
            text=message.text,
            channel_id=message.channel_id,
            message_ts=message.ts,
        )
        return await self._inbox.accept(delivery, prepare=relevant)
