"""The real process: SIGKILL mid-answer then restart, and SIGTERM with a grace period."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.inbox import UNKNOWN_TS
from bot.slack_output.retire import RETIRED_MARK
from bot.store.models import InboxItem
from tests.fakes.openai import FakeOpenAI, Reply, Stall
from tests.fakes.slack import FakeSlack
from tests.reliability.bot_process import BotProcess, bot_env
from tests.reliability.conftest import stored_counts


async def _reply_ts(database_url: str) -> str | None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(select(InboxItem.reply_ts))
    finally:
        await engine.dispose()


async def test_killed_mid_stream_and_restarted_the_thread_ends_with_one_complete_answer(
    database_url: str, fake_slack: FakeSlack, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.script_chat(Stall("The first words of"), Reply("The complete answer."))
    env = bot_env(fake_slack, fake_openai, database_url)
    first = await BotProcess.start(env, tmp_path)
    ts = await first.mention("explain everything")
    await fake_slack.wait_for_calls("chat.startStream", 1, timeout=10)  # the answer shows
    assert await _reply_ts(database_url) == UNKNOWN_TS  # its ts is for a takeover to find
    await first.signal(signal.SIGKILL)

    second = await BotProcess.start(env, tmp_path)
    try:
        await fake_slack.wait_for_calls("chat.stopStream", 2, timeout=10)  # old closed, new done
    finally:
        assert await second.signal(signal.SIGTERM) == 0
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == [
        RETIRED_MARK,
        "The complete answer.",
    ]
    assert len(fake_openai.chat_requests()) == 2
    counts = await stored_counts(database_url)
    assert (counts["assistant"], counts["inbox_done"]) == (1, 1)


async def test_sigterm_lets_the_answer_in_flight_finish(
    sqlite_url: str, fake_slack: FakeSlack, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.script_chat(Reply("Slow, but whole.", chunk_chars=2, delay_s=0.06))
    bot = await BotProcess.start(bot_env(fake_slack, fake_openai, sqlite_url), tmp_path)
    ts = await bot.mention("take your time")
    await fake_slack.wait_for_calls("chat.startStream", 1)
    assert await bot.signal(signal.SIGTERM) == 0
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == ["Slow, but whole."]
    assert (await stored_counts(sqlite_url))["inbox_done"] == 1


async def test_sigterm_leaves_what_outlasts_the_grace_period_to_recovery(
    sqlite_url: str, fake_slack: FakeSlack, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.script_chat(Stall("This never ends"))
    env = bot_env(fake_slack, fake_openai, sqlite_url, SHUTDOWN_GRACE_SECONDS="0.5")
    bot = await BotProcess.start(env, tmp_path)
    await bot.mention("stall please")
    await fake_slack.wait_for_calls("chat.startStream", 1)
    started = time.monotonic()
    assert await bot.signal(signal.SIGTERM) == 0
    assert time.monotonic() - started < 3
    assert (await stored_counts(sqlite_url)).get("inbox_processing") == 1
