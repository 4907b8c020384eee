"""``tool_confirmations``: Approve / Deny questions, decided once by the requester's click."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ToolConfirmation

APPROVED = "approved"
DENIED = "denied"
EXPIRED = "expired"


class ConfirmationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, key: str, team_id: str, user_id: str) -> None:
        self._session.add(ToolConfirmation(key=key, team_id=team_id, user_id=user_id))
        await self._session.flush()

    async def requester(self, key: str) -> tuple[str, str | None] | None:
        """(requester, decision) of the question, or None when there is none."""
        row = (
            await self._session.execute(
                select(ToolConfirmation.user_id, ToolConfirmation.decision).where(
                    ToolConfirmation.key == key
                )
            )
        ).first()
        return (str(row[0]), row[1]) if row is not None else None

    async def decide(self, key: str, user_id: str, decision: str) -> bool:
        """Record the requester's decision if none is recorded yet; whether this one counts."""
        result = await self._session.execute(
            update(ToolConfirmation)
            .where(
                ToolConfirmation.key == key,
                ToolConfirmation.user_id == user_id,
                ToolConfirmation.decision.is_(None),
            )
            .values(decision=decision)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    async def close(self, key: str) -> str | None:
        """The decision, and the question forgotten (a later click finds nothing). Undecided, it
        is first marked expired in one statement, so a click racing the close either counts
        whole or not at all."""
        await self._session.execute(
            update(ToolConfirmation)
            .where(ToolConfirmation.key == key, ToolConfirmation.decision.is_(None))
            .values(decision=EXPIRED)
        )
        found = await self.requester(key)
        await self._session.execute(delete(ToolConfirmation).where(ToolConfirmation.key == key))
        return found[1] if found is not None else None
