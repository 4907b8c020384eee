"""Order within a thread and a bounded load, on SQLite and (when given) PostgreSQL."""

from __future__ import annotations

import asyncio

from tests.conftest import SettingsFactory, start_bot
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, message_event
from tests.reliability.conftest import mention, stored_counts

THREADS = 50
PER_THREAD = 4


async def test_two_quick_messages_in_a_thread_are_answered_in_order(
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script_chat(Reply("First answer.", chunk_chars=2, delay_s=0.02), Reply("Second."))
    bot = await start_bot(make_settings(DATABASE_URL=database_url))
    try:
        root = await mention(bot, "first question")
        await asyncio.sleep(0.05)  # the scenario: a follow-up 50 ms later, mid-answer
        await bot.post(event_body(message_event("second question", thread_ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 2)
    finally:
        await bot.close()
    answers = [m.visible_text() for m in fake_slack.thread("C0001", root)]
    assert answers == ["First answer.", "Second."]
    second = fake_openai.chat_requests()[1]["messages"]
    assert [(m["role"], m["content"]) for m in second[1:]] == [
        ("user", "first question"),
        ("assistant", "First answer."),
        ("user", "second question"),
    ]


async def test_two_hundred_deliveries_in_fifty_threads_get_two_hundred_answers(
    database_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    total = THREADS * PER_THREAD
    fake_openai.script_chat(*[Reply("A slow answer.", chunk_chars=100, ttft_s=0.05)] * total)
    bot = await start_bot(make_settings(DATABASE_URL=database_url))
    try:
        roots = await asyncio.gather(*(mention(bot, f"thread {n}") for n in range(THREADS)))
        await asyncio.gather(
            *(
                mention(bot, f"follow-up {k} in {root}", thread_ts=root)
                for root in roots
                for k in range(PER_THREAD - 1)
            )
        )
        await fake_slack.wait_for_calls("chat.stopStream", total, timeout=30)
    finally:
        await bot.close()
    assert len(fake_openai.chat_requests()) == total
    assert all(len(fake_slack.thread("C0001", root)) == PER_THREAD for root in roots)
    counts = await stored_counts(database_url)
    assert (counts["user"], counts["assistant"], counts["answered"]) == (total, total, total)
    assert counts["inbox_done"] == total
