"""``python -m bot forget-user U…``: delete everything stored from and about one user."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.privacy_repo import PrivacyRepository
from bot.store.usage_repo import UsageRepository


async def forget_user(sessions: async_sessionmaker[AsyncSession], user_id: str) -> dict[str, int]:
    """Delete the user's turns and the answers to them (with their files' text), the recorded
    deliveries of their messages, their image requests, thread summaries, feedback and usage
    rows, and the conversations left with no turns; unname them as the author of channel
    settings. What went, by kind, in one transaction."""
    async with sessions.begin() as session:
        privacy = PrivacyRepository(session)
        turns, conversations = await privacy.forget_turns_of(user_id)
        return {
            "turns and answers": turns,
            "recorded deliveries": await privacy.forget_deliveries_of(user_id),
            "image requests": await privacy.forget_image_requests_of(user_id),
            "feedback votes": await privacy.forget_feedback_of(user_id),
            "thread summaries": await privacy.forget_summaries_of(user_id),
            "usage rows": await UsageRepository(session).delete_user(user_id),
            "empty conversations": await privacy.delete_empty_conversations(ids=conversations),
            "channel settings unnamed": await privacy.forget_settings_author(user_id),
        }
