"""Issue 5, long threads: the request always fits the configured window, newest turns kept."""

from __future__ import annotations

from bot.conversations.notices import DROPPED_FOOTNOTE
from bot.conversations.tokens import TokenCounter
from tests.conftest import SettingsFactory, start_bot
from tests.e2e.seeding import seed_thread
from tests.fakes.openai import Error, FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, message_event, new_ts

UNKNOWN_MODEL = "acme-llm-7b"  # not in the window table: MODEL_CONTEXT_TOKENS applies


def _turn_text(index: int) -> str:
    return f"turn {index}: " + "the quick brown fox jumps over the lazy dog " * 8


async def _follow_up_with_a_small_window(
    make_settings: SettingsFactory, fake_slack: FakeSlack, root: str, text: str
) -> None:
    """Ask in the thread ``root`` a bot whose model it does not know, with a 6,000-token window
    (1,000 kept for the answer); return once answered, the bot stopped."""
    settings = make_settings(
        OPENAI_MODEL=UNKNOWN_MODEL, MODEL_CONTEXT_TOKENS="6000", ANSWER_MAX_TOKENS="1000"
    )
    bot = await start_bot(settings)
    try:
        await bot.post(event_body(message_event(text, thread_ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()


async def test_a_300_turn_thread_fits_the_window_and_keeps_the_newest_turns(
    make_settings: SettingsFactory, sqlite_url: str, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = new_ts()
    await seed_thread(sqlite_url, root, [_turn_text(i) for i in range(300)])
    fake_openai.script_chat(Reply("Here is the gist."))
    await _follow_up_with_a_small_window(make_settings, fake_slack, root, "so what now?")

    [request] = fake_openai.chat_requests()
    messages = request["messages"]
    size = TokenCounter().count_messages(UNKNOWN_MODEL, messages)
    assert 4000 < size <= 6000 - 1000  # uses the window, never more than it minus the reserve
    assert messages[0]["role"] == "system"
    assert messages[-1] == {"role": "user", "content": "so what now?"}
    assert messages[-2]["content"] == _turn_text(299)
    texts = [m["content"] for m in messages]
    assert _turn_text(0) not in texts and len(messages) < 100
    [answer] = fake_slack.thread("C0001", root)
    assert DROPPED_FOOTNOTE in answer.visible_text()


async def test_context_length_exceeded_is_retried_once_with_fewer_turns(
    make_settings: SettingsFactory, sqlite_url: str, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = new_ts()
    await seed_thread(sqlite_url, root, [_turn_text(i) for i in range(50)])  # ~4,000 tokens
    fake_openai.script_chat(
        Error(400, "context_length_exceeded", "This model's maximum context length is 4096"),
        Reply("Trimmed answer."),
    )
    await _follow_up_with_a_small_window(make_settings, fake_slack, root, "and now?")

    first, second = fake_openai.chat_requests()
    assert len(first["messages"]) == 52  # everything fitted our own count
    assert len(second["messages"]) < len(first["messages"])
    assert (
        second["messages"][-1] == first["messages"][-1] == {"role": "user", "content": "and now?"}
    )
    [answer] = fake_slack.thread("C0001", root)
    assert answer.visible_text().startswith("Trimmed answer.")
    assert DROPPED_FOOTNOTE in answer.visible_text()
    assert fake_slack.calls_to("chat.postMessage") == []  # no failure notice
