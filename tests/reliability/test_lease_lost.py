"""Issue 11, defect 2: a process whose lease was taken over stops at once and writes nothing
more; whoever takes the delivery over closes every message the earlier attempt left (recorded
only by the marker of their opening, so it looks for them in the thread) and answers once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.slack_output.retire import RETIRED_MARK
from bot.store.models import InboxItem
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.fakes.openai import FakeOpenAI, Reply, Stall
from tests.fakes.slack import FakeSlack
from tests.reliability.conftest import mention, stored_counts

ANSWER = "The one complete answer."


class _Stopped(logging.Handler):
    """Set once the inbox says it stopped work another process took over."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("bot.inbox") and "took this delivery over" in record.getMessage():
            self.seen.set()


@contextmanager
def _stopping_watched() -> Iterator[asyncio.Event]:
    handler = _Stopped()
    logger = logging.getLogger("bot.inbox")
    logger.addHandler(handler)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)


async def _set_lease(database_url: str, **values: object) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(update(InboxItem).values(**values))
    finally:
        await engine.dispose()


def _in(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def _bot(make_settings: SettingsFactory, database_url: str) -> RunningBot:
    return await start_bot(make_settings(DATABASE_URL=database_url, INBOX_LEASE_SECONDS="1.5"))


async def _stolen_once_shown(
    bot: RunningBot, fake_slack: FakeSlack, database_url: str, messages: int = 1
) -> str:
    """Mention the bot; once its answer shows in ``messages`` Slack messages (whose ts only
    the marker of their opening records), another process takes the delivery over; return
    once this one has stopped (the message's ts)."""
    with _stopping_watched() as stopped:
        ts = await mention(bot, "explain everything")
        await fake_slack.wait_until(
            lambda: len(fake_slack.thread("C0001", ts)) == messages, "the answer shown"
        )
        await _set_lease(database_url, lease_owner="another-process", lease_expires_at=_in(60))
        async with asyncio.timeout(5):
            await stopped.wait()
    return ts


async def _taken_over(bot: RunningBot, fake_slack: FakeSlack, database_url: str, ts: str) -> int:
    """The other process dies too: its lease expires and the sweep takes the delivery again.
    Returns how many Slack calls came before; returns once the answer is complete."""
    before = len(fake_slack.calls)
    await _set_lease(database_url, lease_expires_at=_in(-1))

    def answered() -> bool:
        thread = fake_slack.thread("C0001", ts)
        return bool(thread) and thread[-1].visible_text() == ANSWER and not thread[-1].streaming

    await fake_slack.wait_until(answered, "the complete answer")
    return before


async def test_a_lease_taken_over_mid_answer_stops_it_and_one_answer_follows(
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script_chat(Stall("The first words of"), Reply(ANSWER))
    bot = await _bot(make_settings, database_url)
    try:
        ts = await _stolen_once_shown(bot, fake_slack, database_url)
        [first] = fake_slack.thread("C0001", ts)
        before = await _taken_over(bot, fake_slack, database_url, ts)
    finally:
        await bot.close()
    # The takeover looked for the message it was not told the ts of, from the question on.
    [replies] = fake_slack.calls_to("conversations.replies")
    assert (replies.args["ts"], replies.args["oldest"]) == (ts, ts)
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == [RETIRED_MARK, ANSWER]
    # After the takeover, the first message saw only its retirement: the stopped attempt
    # neither streamed on nor closed it with a mark of its own, and told nobody anything.
    later = [c for c in fake_slack.calls[before:] if c.args.get("ts") == first.ts]
    assert [(c.method, c.args.get("markdown_text")) for c in later] == [
        ("chat.stopStream", None),
        ("chat.update", None),
    ]
    assert fake_slack.calls_to("chat.postMessage") == []
    counts = await stored_counts(database_url)
    assert (counts["assistant"], counts["inbox_done"]) == (1, 1)


async def test_a_takeover_retires_every_message_of_a_long_answer(
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    long = "\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(80))  # two messages
    fake_openai.script_chat(Stall(long), Reply(ANSWER))
    bot = await _bot(make_settings, database_url)
    try:
        ts = await _stolen_once_shown(bot, fake_slack, database_url, messages=2)
        assert len(fake_slack.thread("C0001", ts)) == 2
        await _taken_over(bot, fake_slack, database_url, ts)
    finally:
        await bot.close()
    thread = fake_slack.thread("C0001", ts)
    assert [m.visible_text() for m in thread] == [RETIRED_MARK, RETIRED_MARK, ANSWER]
    assert not [m for m in thread if m.streaming]
    counts = await stored_counts(database_url)
    assert (counts["assistant"], counts["inbox_done"]) == (1, 1)


async def test_a_takeover_looks_for_an_unrecorded_message_only_up_to_the_next_question(
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    follow_up_answer = "Yes, here I am."
    fake_openai.script_chat(Stall("The first words of"), Reply(follow_up_answer), Reply(ANSWER))
    bot = await _bot(make_settings, database_url)
    try:
        ts = await _stolen_once_shown(bot, fake_slack, database_url)
        # Another process holds the delivery now, and the person asks again meanwhile.
        await _set_lease(database_url, lease_owner="another-process", lease_expires_at=_in(60))
        follow_up = await mention(bot, "are you there?", thread_ts=ts)

        def follow_up_answered() -> bool:
            thread = fake_slack.thread("C0001", ts)
            return len(thread) == 2 and not thread[1].streaming

        await fake_slack.wait_until(follow_up_answered, "the follow-up's answer")
        await _taken_over(bot, fake_slack, database_url, ts)
    finally:
        await bot.close()
    [replies] = fake_slack.calls_to("conversations.replies")
    assert (replies.args["oldest"], replies.args["latest"]) == (ts, follow_up)
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == [
        RETIRED_MARK,
        follow_up_answer,
        ANSWER,
    ]
