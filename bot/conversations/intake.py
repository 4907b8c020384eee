"""Recording a Slack message for answering, before Slack is acknowledged.

DMs and mentions start (or continue) a conversation; other thread replies are the bot's only
when the thread already is a conversation. The inbox asks ``admit_messages`` for all the
messages that arrive together at once, in the transaction that records them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations.values import IncomingMessage
from bot.inbox import Delivery, Inbox
from bot.store.conversations_repo import ConversationRepository, NewConversation

MESSAGE_KIND = "message"
"""The inbox kind of deliveries that are a user's message to answer."""


class MessageIntake:
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def accept(self, message: IncomingMessage) -> bool:
        """Record the message durably if it is ours; False for a duplicate or not ours."""
        delivery = Delivery(
            event_id=message.event_id,
            team_id=message.team_id,
            kind=MESSAGE_KIND,
            payload=message.to_payload(),
            text=message.text,
            channel_id=message.channel_id,
            message_ts=message.ts,
            enterprise_id=message.enterprise_id,
        )
        return await self._inbox.accept(delivery)


async def admit_messages(session: AsyncSession, deliveries: Sequence[Delivery]) -> list[bool]:
    """Which of these messages to answer; the conversations they start are recorded."""
    messages = [IncomingMessage.from_payload(d.payload, d.text) for d in deliveries]
    starts = [m.is_dm or m.mentioned for m in messages]
    threads = [(m.team_id, m.channel_id, m.thread_ts) for m in messages]
    conversations = ConversationRepository(session)
    await conversations.ensure(
        [
            NewConversation(thread, m.enterprise_id, m.kind)
            for m, thread, start in zip(messages, threads, starts, strict=True)
            if start
        ]
    )
    followups = [thread for thread, start in zip(threads, starts, strict=True) if not start]
    known = await conversations.existing(followups) if followups else set()
    return [start or thread in known for thread, start in zip(threads, starts, strict=True)]
