"""👍/👎 votes on answers: one row per (answer message, user); a later vote replaces the first."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Feedback


class FeedbackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self, *, team_id: str, channel_id: str, message_ts: str, user_id: str, value: str
    ) -> None:
        """Store a vote, replacing this user's earlier vote on the same answer."""
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(Feedback).values(
            team_id=team_id,
            channel_id=channel_id,
            message_ts=message_ts,
            user_id=user_id,
            value=value,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "channel_id", "message_ts", "user_id"],
            set_={"value": statement.excluded.value, "updated_at": func.now()},
        )
        await self._session.execute(statement)
