"""Edits and deletes: a stored user turn follows its Slack message. An edit replaces the text;
a delete erases it (privacy) so it leaves every later prompt. Neither is ever answered."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.conversations_repo import MessageRepository


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
        async with self._sessions.begin() as session:
            turns = await MessageRepository(session).user_turns_at(
                edit.team_id, edit.channel_id, edit.ts
            )
            for turn in turns:
                turn.text = edit.text or ""
                turn.token_count = None  # counted again when next needed
                if edit.text is None:
                    turn.author_name = None
        return len(turns)
