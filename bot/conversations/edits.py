"""Edits and deletes: a stored user turn follows its Slack message. An edit replaces the text;
a delete erases it (privacy) so it leaves every later prompt — and the recorded delivery in
the inbox too. Neither is ever answered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.intake import MESSAGE_KIND
from bot.store.conversations_repo import MessageRepository
from bot.store.inbox_repo import InboxRepository


@dataclass(frozen=True)
class MessageEdit:
    """A Slack message changed (``text`` is its new text) or deleted (``text`` is None)."""

    team_id: str
    channel_id: str
    ts: str
    text: str | None


class TurnEdits:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def apply(self, edit: MessageEdit) -> int:
        """Update (or erase) the stored turns of that message; how many there were."""
        where = (edit.team_id, edit.channel_id, edit.ts)
        async with self._sessions.begin() as session:
            turns, inbox = MessageRepository(session), InboxRepository(session)
            if edit.text is None:
                await inbox.erase(MESSAGE_KIND, *where)
                return await turns.erase(*where)
            await inbox.set_text(MESSAGE_KIND, *where, edit.text)
            return await turns.apply_edit(*where, edit.text)
