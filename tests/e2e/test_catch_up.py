"""Issue 5, catch-up: mentioned mid-thread in a thread it never saw, the bot reads it once."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningBot
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts


def _said(user: str, text: str, thread_ts: str, **extra: Any) -> dict[str, Any]:
    ts = new_ts()
    return {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        **extra,
    }


async def test_mid_thread_mention_reads_the_thread_once_keeping_its_newest_messages(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = new_ts()
    earlier = [{"type": "message", "user": "U0ALICE", "text": "Shall we ship Friday?", "ts": root}]
    earlier += [_said("U0BOB" if i % 2 else "U0ALICE", f"point {i}", root) for i in range(1, 1101)]
    earlier.append(_said("U0BOT", "An earlier answer of mine.", root, bot_id="B0BOT"))
    earlier.append(_said("U0ALICE", "", root, subtype="channel_join"))
    mention_ts = new_ts()
    mention = mention_event("what do you think?", ts=mention_ts, thread_ts=root)
    later = _said("U0BOB", "said after the mention", root)
    fake_slack.add_thread("C0001", [*earlier, {**mention, "type": "message"}, later])
    fake_openai.script_chat(Reply("Ship it."), Reply("Still ship it."), Reply("Yes."))

    await bot.post(event_body(mention))
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    reads = fake_slack.calls_to("conversations.replies")
    assert len(reads) == 2  # paginated (1,000 a page), and bounded
    assert reads[0].args["ts"] == root and "cursor" not in reads[0].args
    assert reads[1].args["cursor"]
    messages = fake_openai.chat_requests()[0]["messages"]
    # The thread's first message says what it is about; then the 199 newest before the mention.
    assert messages[1] == {"role": "user", "content": "u0alice: Shall we ship Friday?"}
    assert messages[2] == {"role": "user", "content": "u0bob: point 903"}
    assert messages[-3] == {"role": "user", "content": "u0alice: point 1100"}
    assert messages[-2] == {"role": "assistant", "content": "An earlier answer of mine."}
    assert messages[-1] == {"role": "user", "content": "what do you think?"}
    assert len(messages) == 1 + 200 + 1  # system, 200 messages read, the mention
    assert len(fake_slack.calls_to("users.info")) == 2  # one lookup per person, cached

    # Later turns in the same thread never read it again, mention or not.
    await bot.post(event_body(mention_event("and Monday?", thread_ts=root)))
    await bot.post(event_body(message_event("thanks", thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 3)
    assert len(fake_slack.calls_to("conversations.replies")) == 2
    third = fake_openai.chat_requests()[2]["messages"]
    assert third[-3:] == [
        {"role": "user", "content": "and Monday?"},
        {"role": "assistant", "content": "Still ship it."},
        {"role": "user", "content": "thanks"},
    ]


async def test_bot_messages_in_a_short_thread_become_assistant_turns(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = new_ts()
    fake_slack.add_thread(
        "C0001",
        [
            {"type": "message", "user": "U0CAROL", "text": "Is the build red?", "ts": root},
            _said("U0BOT", "It was green an hour ago.", root, bot_id="B0BOT"),
        ],
    )
    fake_openai.script_chat(Reply("Checking."))
    await bot.post(event_body(mention_event("look again?", thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    assert fake_openai.chat_requests()[0]["messages"][1:] == [
        {"role": "user", "content": "u0carol: Is the build red?"},
        {"role": "assistant", "content": "It was green an hour ago."},
        {"role": "user", "content": "look again?"},
    ]
    assert len(fake_slack.calls_to("conversations.replies")) == 1


async def test_a_mention_that_starts_a_thread_reads_nothing(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    await bot.post(event_body(mention_event("hello")))
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    assert fake_slack.calls_to("conversations.replies") == []


async def test_a_thread_slack_will_not_read_is_answered_without_it(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = new_ts()
    fake_slack.add_thread(
        "C0001", [{"type": "message", "user": "U0CAROL", "text": "Is it red?", "ts": root}]
    )
    fake_slack.fail("conversations.replies", "missing_scope")
    fake_openai.script_chat(Reply("No idea, tell me more."))
    await bot.post(event_body(mention_event("look again?", thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    assert fake_openai.chat_requests()[0]["messages"][1:] == [
        {"role": "user", "content": "look again?"}
    ]
