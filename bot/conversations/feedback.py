"""Users' 👍/👎 on answers (and what went wrong, when they say), kept so answer quality can
be followed over time. One vote per user per answer: a later click replaces theirs."""

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


@dataclass(frozen=True)
class FeedbackComment:
    vote: FeedbackVote
    text: str


class FeedbackService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(self, vote: FeedbackVote) -> None:
        await self._store(vote, comment=None)

    async def comment(self, comment: FeedbackComment) -> None:
        """The comment is stored with the user's 👎 (which it also records, should the vote
        itself have been lost)."""
        await self._store(comment.vote, comment=comment.text)

    async def _store(self, vote: FeedbackVote, *, comment: str | None) -> None:
        async with self._sessions.begin() as session:
            await FeedbackRepository(session).record(
                team_id=vote.team_id,
                channel_id=vote.channel_id,
                message_ts=vote.answer_ts,
                user_id=vote.user_id,
                value=vote.value,
                comment=comment,
            )
