"""Installations, install states, and what an uninstall removes. Repositories never commit.

An installation is keyed by (enterprise_id, team_id) with empty strings for "no enterprise" and
"org-wide": a workspace install of a plain workspace is ("", T), a workspace of a Grid org
("E", T), an org-wide install ("E", "").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import upsert
from bot.store.models import (
    Conversation,
    Feedback,
    ImageRequest,
    InboxItem,
    InboxStatus,
    Installation,
    OAuthState,
)

_KEY = ("enterprise_id", "team_id")


class InstallationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, values: Mapping[str, Any]) -> None:
        """Insert the installation, or replace the one of the same workspace or org."""
        await upsert(
            self._session,
            Installation,
            values,
            conflict_columns=_KEY,
            update_columns=[name for name in values if name not in _KEY],
        )

    async def get(
        self, enterprise_id: str, team_id: str, *, for_update: bool = False
    ) -> Installation | None:
        """One installation by its exact key; ``for_update`` locks its row until the
        transaction ends (PostgreSQL; SQLite's one writer is serialized anyway)."""
        query = select(Installation).where(
            Installation.enterprise_id == enterprise_id, Installation.team_id == team_id
        )
        if for_update:
            query = query.with_for_update()
        return await self._session.scalar(query)

    async def serving(
        self, enterprise_id: str, team_id: str, *, org_wide: bool = False
    ) -> Installation | None:
        """The installation that serves a workspace: its own, else its org's org-wide one."""
        keys = [] if org_wide or not team_id else [(enterprise_id, team_id)]
        if enterprise_id:
            keys.append((enterprise_id, ""))
        if not keys:
            return None
        rows = await self._session.scalars(
            select(Installation).where(
                or_(
                    *(
                        (Installation.enterprise_id == e) & (Installation.team_id == t)
                        for e, t in keys
                    )
                )
            )
        )
        found = {(row.enterprise_id, row.team_id): row for row in rows}
        return next((found[key] for key in keys if key in found), None)

    async def update(self, installation_id: int, values: Mapping[str, Any]) -> None:
        await self._session.execute(
            update(Installation).where(Installation.id == installation_id).values(**values)
        )

    async def delete(self, enterprise_id: str, team_id: str) -> int:
        result = await self._session.execute(
            delete(Installation).where(
                Installation.enterprise_id == enterprise_id, Installation.team_id == team_id
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def forget_user_tokens(
        self, enterprise_id: str, team_id: str, user_ids: Iterable[str]
    ) -> int:
        result = await self._session.execute(
            update(Installation)
            .where(
                Installation.enterprise_id == enterprise_id,
                Installation.team_id == team_id,
                Installation.user_id.in_(list(user_ids)),
            )
            .values(user_token=None, user_refresh_token=None, user_token_expires_at=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def all(self) -> Sequence[Installation]:
        rows = await self._session.scalars(
            select(Installation).order_by(Installation.enterprise_id, Installation.team_id)
        )
        return rows.all()


class OAuthStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, state: str, expires_at: datetime) -> None:
        self._session.add(OAuthState(state=state, expires_at=expires_at))

    async def consume(self, state: str, now: datetime) -> bool:
        """Whether ``state`` was issued and has not expired; either way it is gone after this
        (one DELETE: of two concurrent redirects with the same state, only one sees a row).
        Expired states are swept on the way."""
        result = await self._session.execute(
            delete(OAuthState).where(OAuthState.state == state, OAuthState.expires_at > now)
        )
        await self._session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class TeamDataRepository:
    """What a workspace or org leaves behind when the app goes: its deliveries waiting to be
    answered (or being answered: their workers lose the row and stop), and its conversations."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def drop_unfinished_deliveries(self, enterprise_id: str, team_id: str) -> int:
        unfinished = InboxItem.status.in_([InboxStatus.PENDING, InboxStatus.PROCESSING])
        result = await self._session.execute(
            delete(InboxItem).where(
                unfinished,
                InboxItem.team_id == team_id
                if team_id
                else InboxItem.enterprise_id == enterprise_id,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def purge_conversations(self, enterprise_id: str, team_id: str) -> int:
        """Delete what people wrote in a workspace or org: its conversations (their turns go by
        cascade), the feedback on its answers (votes and their comments) and its ``/imagine``
        prompts. How many conversations."""
        if team_id:
            voted_in = Feedback.team_id == team_id
        else:  # feedback rows name no org: an org's workspaces are those of its conversations
            org_teams = select(Conversation.team_id).where(
                Conversation.enterprise_id == enterprise_id
            )
            voted_in = Feedback.team_id.in_(org_teams)
        await self._session.execute(delete(Feedback).where(voted_in))
        deleted = 0
        for model in (Conversation, ImageRequest):
            result = await self._session.execute(
                delete(model).where(
                    model.team_id == team_id if team_id else model.enterprise_id == enterprise_id
                )
            )
            deleted += int(result.rowcount) * (model is Conversation)  # type: ignore[attr-defined]
        return deleted
