"""👍/👎 votes on answers: one row per (answer message, user); a later vote replaces the first.

A new vote clears an earlier comment (it explained the vote it replaced); a comment is written
together with the 👎 it explains."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import upsert
from bot.store.models import Feedback


class FeedbackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        team_id: str,
        channel_id: str,
        message_ts: str,
        user_id: str,
        value: str,
        comment: str | None = None,
    ) -> None:
        """Store a vote (and its comment), replacing this user's earlier one on the answer."""
        await upsert(
            self._session,
            Feedback,
            {
                "team_id": team_id,
                "channel_id": channel_id,
                "message_ts": message_ts,
                "user_id": user_id,
                "value": value,
                "comment": comment,
            },
            conflict_columns=("team_id", "channel_id", "message_ts", "user_id"),
            update_columns=("value", "comment"),
        )
