"""Deleting what people wrote: the retention purge (everything older than a cutoff) and
forgetting one user (everything from and about them). Counts say what went."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Delete, Update

from bot.store.models import (
    ChannelSettings,
    Conversation,
    Feedback,
    ImageRequest,
    InboxItem,
    InboxStatus,
    Message,
    ThreadSummary,
)

_FINISHED = (InboxStatus.DONE, InboxStatus.FAILED)


class PrivacyRepository:
    """Repositories never commit: the service that owns the unit of work does."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def delete_turns_before(self, cutoff: datetime) -> int:
        """The turns, and with them (a cascade) the text of the files attached to them."""
        return await self._count(delete(Message).where(Message.created_at < cutoff))

    async def delete_deliveries_before(self, cutoff: datetime) -> int:
        """Finished deliveries only: a pending one is still to be answered."""
        return await self._count(
            delete(InboxItem).where(InboxItem.updated_at < cutoff, InboxItem.status.in_(_FINISHED))
        )

    async def erase_image_prompts_before(self, cutoff: datetime) -> int:
        return await self._count(
            update(ImageRequest)
            .where(ImageRequest.created_at < cutoff, ImageRequest.prompt != "")
            .values(prompt="", error=None)
        )

    async def delete_feedback_before(self, cutoff: datetime) -> int:
        return await self._count(delete(Feedback).where(Feedback.updated_at < cutoff))

    async def delete_summaries_before(self, cutoff: datetime) -> int:
        return await self._count(delete(ThreadSummary).where(ThreadSummary.created_at < cutoff))

    async def delete_empty_conversations(
        self, *, before: datetime | None = None, ids: Collection[int] = ()
    ) -> int:
        """Conversations with no turns left: those last touched before ``before`` whose channel
        has no delivery waiting (a new message in an old thread finds its conversation there
        before its turn is stored), or those of ``ids``."""
        empty = ~exists().where(Message.conversation_id == Conversation.id)
        if before is None:
            return await self._count(delete(Conversation).where(empty, Conversation.id.in_(ids)))
        waiting = exists().where(
            InboxItem.team_id == Conversation.team_id,
            InboxItem.channel_id == Conversation.channel_id,
            InboxItem.status.in_((InboxStatus.PENDING, InboxStatus.PROCESSING)),
        )
        return await self._count(
            delete(Conversation).where(empty, ~waiting, Conversation.updated_at < before)
        )

    async def forget_turns_of(self, user_id: str) -> tuple[int, set[int]]:
        """Delete the user's turns and the answers to them (the text of the files attached to
        them goes with them, a cascade); how many, and their conversations."""
        theirs = select(Message.id).where(Message.slack_user_id == user_id)
        rows = await self._session.execute(
            delete(Message)
            .where((Message.slack_user_id == user_id) | Message.reply_to_id.in_(theirs))
            .returning(Message.conversation_id)
        )
        conversations = [int(row[0]) for row in rows.all()]
        return len(conversations), set(conversations)

    async def forget_image_requests_of(self, user_id: str) -> int:
        return await self._count(delete(ImageRequest).where(ImageRequest.user_id == user_id))

    async def forget_feedback_of(self, user_id: str) -> int:
        return await self._count(delete(Feedback).where(Feedback.user_id == user_id))

    async def forget_summaries_of(self, user_id: str) -> int:
        """The thread summaries they asked for."""
        return await self._count(delete(ThreadSummary).where(ThreadSummary.requested_by == user_id))

    async def forget_deliveries_of(self, user_id: str) -> int:
        """Recorded deliveries of the user's messages (their payload names the asker; it is
        our own compact JSON, so the pair appears exactly like this)."""
        marker = f'"user_id":"{user_id}"'
        return await self._count(
            delete(InboxItem).where(InboxItem.payload.contains(marker, autoescape=True))
        )

    async def forget_settings_author(self, user_id: str) -> int:
        return await self._count(
            update(ChannelSettings)
            .where(ChannelSettings.updated_by == user_id)
            .values(updated_by=None)
        )

    async def _count(self, statement: Delete | Update) -> int:
        result = await self._session.execute(statement)
        return int(result.rowcount)  # type: ignore[attr-defined]
