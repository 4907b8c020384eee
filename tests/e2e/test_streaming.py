"""Issue 4 end to end: streamed answers, fallback, long answers, cut streams and feedback."""

from __future__ import annotations

import time

from bot.store.models import Message, TurnStatus
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import stored
from tests.fakes.openai import Cut, FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import (
    event_body,
    mention_event,
    message_event,
    new_ts,
)
from tests.slack_output.streaming_helpers import long_answer, markdown_of, open_fence, rejoin

WRITES = {
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
    "chat.postMessage",
    "chat.update",
}


async def _ask(bot: RunningBot, text: str) -> str:
    ts = new_ts()
    assert (await bot.post(event_body(mention_event(text, ts=ts)))).status_code == 200
    return ts


async def _assistant_turns(sqlite_url: str) -> list[Message]:
    return [m for m in await stored(sqlite_url, Message) if m.role == "assistant"]


async def test_a_2000_token_answer_arrives_whole_in_a_bounded_number_of_calls(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    text = "".join(f"tok{i} " if i % 50 else f"tok{i}\n\n" for i in range(2_000))
    fake_openai.script_chat(Reply(text, chunk_chars=8))
    started = time.monotonic()
    ts = await _ask(bot, "long one please")
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    duration = time.monotonic() - started

    messages = fake_slack.thread("C0001", ts)
    assert rejoin([markdown_of(m) for m in messages]) == text
    writes = [c for c in fake_slack.calls if c.method in WRITES]
    # start + stop per message, plus at most one append per 0.5 s of answer
    assert len(writes) <= 2 * len(messages) + duration / 0.5


async def test_fallback_when_streaming_is_unknown_is_taken_and_remembered(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_slack.remove_method("chat.startStream")
    fake_openai.script_chat(Reply("First **answer**."), Reply("Second answer."))
    ts = await _ask(bot, "one")
    await fake_slack.wait_for_calls("chat.update", 1)
    await bot.post(event_body(message_event("two", thread_ts=ts)))
    await fake_slack.wait_for_calls("chat.postMessage", 2)
    await fake_slack.wait_for_calls("chat.update", 2)

    assert len(fake_slack.calls_to("chat.startStream")) == 1
    assert [markdown_of(m) for m in fake_slack.thread("C0001", ts)] == [
        "First **answer**.",
        "Second answer.",
    ]


async def test_a_30000_character_answer_is_stored_whole_and_shown_across_messages(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    text = long_answer()
    fake_openai.script_chat(Reply(text, chunk_chars=50))
    bot = await start_bot(make_settings(ANSWER_MAX_TOKENS="16000"))  # not cut at 4,096 tokens
    try:
        ts = await _ask(bot, "write a lot")
        await fake_slack.wait_for_calls("chat.stopStream", 3)
        await _wait_for_turns(bot, fake_slack, ts)
    finally:
        await bot.close()

    messages = fake_slack.thread("C0001", ts)
    parts = [markdown_of(m) for m in messages]
    assert not any(open_fence(part) for part in parts)
    assert rejoin(parts[:-1]) == text
    turn = (await _assistant_turns(sqlite_url))[0]
    assert (turn.text, turn.slack_ts) == (text, messages[0].ts)


async def _wait_for_turns(bot: RunningBot, fake_slack: FakeSlack, ts: str) -> None:
    """A later message in the thread: once answered, the earlier answer was stored."""
    stops = len(fake_slack.calls_to("chat.stopStream"))
    await bot.post(event_body(message_event("sentinel", thread_ts=ts)))
    await fake_slack.wait_for_calls("chat.stopStream", stops + 1)


async def test_a_stream_cut_mid_way_leaves_the_partial_text_marked_and_a_notice(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_chat(Cut("The first half of the answ"), Reply("ok"))
    ts = await _ask(bot, "go")
    await fake_slack.wait_for_calls("chat.postMessage", 1)
    await _wait_for_turns(bot, fake_slack, ts)

    answer, notice, sentinel = fake_slack.thread("C0001", ts)
    assert sentinel.visible_text() == "ok"
    assert answer.visible_text().startswith("The first half of the answ")
    assert "interrupted" in answer.visible_text()
    assert "cut off" in notice.visible_text() and "reference" in notice.visible_text()
    turn = (await _assistant_turns(sqlite_url))[0]
    assert turn.status == TurnStatus.INTERRUPTED
    assert turn.text.startswith("The first half of the answ")


async def test_dm_shows_thinking_status_before_the_answer(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Hi.", ttft_s=0.2))
    ts = new_ts()
    await bot.post(event_body(message_event("hello", channel="D0001", channel_type="im", ts=ts)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    [status] = fake_slack.calls_to("assistant.threads.setStatus")
    assert (status.args["channel_id"], status.args["thread_ts"]) == ("D0001", ts)
    assert [c.method for c in fake_slack.calls].index("assistant.threads.setStatus") < [
        c.method for c in fake_slack.calls
    ].index("chat.startStream")
