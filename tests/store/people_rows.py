"""Seeding what the bot stores about people, with chosen ages, for retention and forget tests."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import (
    Conversation,
    Feedback,
    ImageRequest,
    InboxItem,
    InboxStatus,
    Message,
    MessageFile,
    ThreadSummary,
    UsageRecord,
)

_ts = count(1)


def _next_ts() -> str:
    return f"1700000000.{next(_ts):06d}"


async def conversation(
    session: AsyncSession, at: datetime, channel_id: str = "C0001"
) -> Conversation:
    row = Conversation(
        team_id="T0001",
        channel_id=channel_id,
        thread_ts=_next_ts(),
        kind="channel_thread",
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    await session.flush()
    return row


async def exchange(
    session: AsyncSession, where: Conversation, user_id: str, text: str, at: datetime
) -> tuple[Message, Message]:
    """A user's turn with a file attached, and the bot's answer to it."""
    asked = Message(
        conversation_id=where.id,
        team_id="T0001",
        role="user",
        text=text,
        slack_user_id=user_id,
        slack_ts=_next_ts(),
        created_at=at,
        updated_at=at,
    )
    session.add(asked)
    await session.flush()
    session.add(
        MessageFile(
            message_id=asked.id,
            team_id="T0001",
            slack_file_id=f"F{asked.slack_ts}",
            name="notes.txt",
            mimetype="text/plain",
            text=f"notes on {text}",
            token_count=4,
            created_at=at,
            updated_at=at,
        )
    )
    answer = Message(
        conversation_id=where.id,
        team_id="T0001",
        role="assistant",
        text=f"answer to {text}",
        slack_ts=_next_ts(),
        reply_to_id=asked.id,
        created_at=at,
        updated_at=at,
    )
    session.add(answer)
    await session.flush()
    return asked, answer


async def traces(
    session: AsyncSession,
    user_id: str,
    at: datetime,
    status: str = InboxStatus.DONE,
    channel_id: str = "C0001",
) -> None:
    """One of everything else: a recorded delivery, an image request, a vote, a usage row, a
    thread summary they asked for."""
    ts = _next_ts()
    payload = {"event_id": f"Ev{ts}", "team_id": "T0001", "user_id": user_id, "ts": ts}
    session.add_all(
        [
            InboxItem(
                event_id=f"Ev{ts}",
                team_id="T0001",
                kind="message",
                channel_id=channel_id,
                message_ts=ts,
                payload=json.dumps(payload, separators=(",", ":")),
                text=f"words of {user_id}",
                status=status,
                created_at=at,
                updated_at=at,
            ),
            ImageRequest(
                team_id="T0001",
                channel_id="C0001",
                user_id=user_id,
                prompt=f"picture for {user_id}",
                model="gpt-image-1",
                created_at=at,
                updated_at=at,
            ),
            Feedback(
                team_id="T0001",
                channel_id="C0001",
                message_ts=ts,
                user_id=user_id,
                value="up",
                created_at=at,
                updated_at=at,
            ),
            UsageRecord(
                created_at=at,
                team_id="T0001",
                user_id=user_id,
                channel_id="C0001",
                kind="chat",
                model="gpt-4o-mini",
                prompt_tokens=100,
                completion_tokens=20,
                estimated=False,
                images=0,
            ),
            ThreadSummary(
                team_id="T0001",
                channel_id="C0001",
                thread_ts=ts,
                requested_by=user_id,
                text=f"summary for {user_id}",
                model="gpt-4o-mini",
                created_at=at,
                updated_at=at,
            ),
        ]
    )
    await session.flush()
