"""Talking to the real bot in one thread, each answer awaited, and reading what it learned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.store.models import ModelWindow
from tests.conftest import start_bot
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts


async def converse(
    settings: Settings, fake_slack: FakeSlack, texts: Sequence[str], *, root: str | None = None
) -> str:
    """Run a bot for ``texts``: a new thread whose root mentions the bot with the first (``root``
    None), or follow-ups in ``root``; each answer's stream is awaited. Returns the thread ts."""
    thread = root or new_ts()
    answered = len(fake_slack.calls_to("chat.stopStream"))
    bot = await start_bot(settings)
    try:
        for index, text in enumerate(texts):
            starts = root is None and index == 0
            event = (
                mention_event(text, ts=thread) if starts else message_event(text, thread_ts=thread)
            )
            assert (await bot.post(event_body(event))).status_code == 200
            answered += 1
            await fake_slack.wait_for_calls("chat.stopStream", answered, timeout=15)
    finally:
        await bot.close()
    return thread


async def learned_rows(database_url: str) -> list[Any]:
    """Every ``model_windows`` row."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(select(ModelWindow))).all())
    finally:
        await engine.dispose()
