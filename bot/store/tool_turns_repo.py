"""The tool rounds of one answer: the assistant turn that asked for tool calls (stored before
any of them runs) and one ``tool`` turn per result (stored after it ran). Together with the
user turn they answer, they let a takeover see which calls already ran, so none runs twice.

Tool turns have no Slack message: their ``slack_ts`` is derived from the user turn's
(``<ts>~r<round>`` and ``<ts>~t<round>.<index>``), which keeps them unique per conversation
and makes storing one twice a no-op."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import insert_ignoring_conflict
from bot.store.models import Message, TurnStatus


class ToolTurnRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_calls(
        self,
        answering: Message,
        *,
        round_number: int,
        text: str,
        calls: Sequence[dict[str, str]],
        model: str,
        token_count: int | None,
    ) -> None:
        """Record the calls the model asked for (``{id, name, arguments}`` each)."""
        await self._insert(
            answering,
            slack_ts=f"{answering.slack_ts}~r{round_number}",
            role="assistant",
            text=text,
            status=TurnStatus.COMPLETE,
            model=model,
            token_count=token_count,
            tool_calls=json.dumps(list(calls), separators=(",", ":")),
        )

    async def add_result(
        self,
        answering: Message,
        *,
        round_number: int,
        index: int,
        call_id: str,
        text: str,
        status: TurnStatus,
        token_count: int | None,
    ) -> None:
        await self._insert(
            answering,
            slack_ts=f"{answering.slack_ts}~t{round_number}.{index}",
            role="tool",
            text=text,
            status=status,
            token_count=token_count,
            tool_call_id=call_id,
        )

    async def rounds_for(self, answering: Message) -> Sequence[Message]:
        """The tool turns stored so far for the answer to ``answering``, oldest first."""
        result = await self._session.scalars(
            select(Message)
            .where(
                Message.conversation_id == answering.conversation_id,
                Message.team_id == answering.team_id,
                Message.reply_to_id == answering.id,
                or_(Message.tool_calls.is_not(None), Message.role == "tool"),
            )
            .order_by(Message.id)
        )
        return result.all()

    async def _insert(self, answering: Message, **values: object) -> None:
        await insert_ignoring_conflict(
            self._session,
            Message,
            {
                "conversation_id": answering.conversation_id,
                "team_id": answering.team_id,
                "reply_to_id": answering.id,
                **values,
            },
        )
