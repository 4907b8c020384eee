"""Seeding stored conversations directly, for tests that need a long history to exist."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.store.models import Conversation, Message, TurnStatus


async def seed_thread(database_url: str, thread_ts: str, texts: list[str]) -> None:
    """A channel conversation whose turns alternate user / assistant, oldest first."""
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            conversation = Conversation(
                team_id="T0001", channel_id="C0001", thread_ts=thread_ts, kind="channel_thread"
            )
            session.add(conversation)
            await session.flush()
            for index, text in enumerate(texts):
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        team_id="T0001",
                        role="user" if index % 2 == 0 else "assistant",
                        text=text,
                        slack_ts=f"1600000000.{index:06d}",
                        status=TurnStatus.COMPLETE,
                    )
                )
    finally:
        await engine.dispose()
