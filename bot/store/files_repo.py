"""Files attached to user turns, as their text was read once (repositories never commit)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import insert_many_ignoring_conflict
from bot.store.models import Message, MessageFile

_NAME_LENGTH = 255


@dataclass(frozen=True)
class FileText:
    """What is stored of one attached file."""

    slack_file_id: str
    name: str
    mimetype: str
    text: str
    token_count: int
    note: str | None


class MessageFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, turn: Message, files: Sequence[FileText]) -> None:
        """Keep ``files`` with ``turn``; a file already kept with it stays as it was."""
        await insert_many_ignoring_conflict(
            self._session,
            MessageFile,
            [
                {
                    "message_id": turn.id,
                    "team_id": turn.team_id,
                    "slack_file_id": f.slack_file_id,
                    "name": f.name[:_NAME_LENGTH],
                    "mimetype": f.mimetype[:_NAME_LENGTH],
                    "text": f.text,
                    "token_count": f.token_count,
                    "note": f.note,
                }
                for f in files
            ],
        )

    async def of_turns(self, turns: Sequence[Message]) -> dict[int, list[FileText]]:
        """The files of each of ``turns`` (by message id), in the order they were kept."""
        if not turns:
            return {}
        team_ids = {t.team_id for t in turns}
        rows = await self._session.scalars(
            select(MessageFile)
            .where(
                MessageFile.message_id.in_([t.id for t in turns]),
                MessageFile.team_id.in_(team_ids),
            )
            .order_by(MessageFile.id)
        )
        found: defaultdict[int, list[FileText]] = defaultdict(list)
        for row in rows:
            found[row.message_id].append(
                FileText(
                    row.slack_file_id, row.name, row.mimetype, row.text, row.token_count, row.note
                )
            )
        return dict(found)
