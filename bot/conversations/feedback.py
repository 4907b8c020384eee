"""Users' 👍/👎 on answers, kept so answer quality can be followed over time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.feedback_repo import FeedbackRepository


@dataclass(frozen=True)
class FeedbackVote:
    """``answer_ts`` is the first message of the answer, as stored with the assistant turn."""

    team_id: str
    channel_id: str
    answer_ts: str
    user_id: str
    value: str  # up | down


class FeedbackService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(self, vote: FeedbackVote) -> None:
        async with self._sessions.begin() as session:
            await FeedbackRepository(session).record(
                team_id=vote.team_id,
                channel_id=vote.channel_id,
                message_ts=vote.answer_ts,
                user_id=vote.user_id,
                value=vote.value,
            )
