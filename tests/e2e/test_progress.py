"""Issue 15, progress and long streams through the real app: work before the text shows as
task cards in the streamed answer (catching up on a thread, a retry after a rate limit), and an
answer whose stream Slack ends goes on in a new message without losing or repeating text."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.models import InboxItem
from tests.conftest import RunningBot
from tests.fakes.openai import FakeOpenAI, RateLimit, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, new_ts
from tests.slack_output.streaming_helpers import markdown_of


async def test_catching_up_on_a_thread_shows_a_task_card_that_ends_complete(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    root = new_ts()
    earlier = [{"type": "message", "user": "U0ALICE", "text": "Ship on Friday?", "ts": root}]
    earlier += [
        {
            "type": "message",
            "user": "U0BOB",
            "text": f"point {i}",
            "ts": new_ts(),
            "thread_ts": root,
        }
        for i in range(3)
    ]
    fake_slack.add_thread("C0001", earlier)
    fake_openai.script_chat(Reply("Friday works."))
    await bot.post(event_body(mention_event("what do you think?", thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    [answer] = [m for m in fake_slack.thread("C0001", root) if m.user == "U0BOT"]
    assert [(t["id"], t["status"]) for t in answer.tasks] == [
        ("catch_up", "in_progress"),
        ("catch_up", "complete"),
    ]
    assert answer.tasks[-1]["details"] == "4 messages"
    assert markdown_of(answer) == "Friday works."
    # The card came first, the text after it, in one streamed message.
    methods = [c.method for c in fake_slack.calls if c.method.startswith("chat.")]
    assert methods[0] == "chat.startStream"
    [start] = fake_slack.calls_to("chat.startStream")
    assert start.args["task_display_mode"] == "timeline"
    assert [c["type"] for c in start.args["chunks"]] == ["task_update"]


async def test_a_retry_after_a_rate_limit_shows_as_a_task_card(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(RateLimit(retry_after=0), Reply("Sorry for the wait."))
    ts = new_ts()
    await bot.post(event_body(mention_event("hello", ts=ts)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    [answer] = fake_slack.thread("C0001", ts)
    assert [(t["id"], t["status"]) for t in answer.tasks] == [
        ("rate_limited", "in_progress"),
        ("rate_limited", "complete"),
    ]
    assert markdown_of(answer) == "Sorry for the wait."
    assert len(fake_openai.chat_requests()) == 2


async def test_a_stream_slack_ends_mid_answer_continues_in_the_next_message(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_slack.end_streams_after(1)  # each stream takes one call after its start, then ends
    text = " ".join(f"word{i}" for i in range(40))
    fake_openai.script_chat(Reply(text, chunk_chars=16, delay_s=0.1))
    ts = new_ts()
    await bot.post(event_body(mention_event("talk for a while", ts=ts)))
    await fake_slack.wait_until(
        lambda: any(
            m.blocks and m.blocks[-1]["type"] == "context_actions"
            for m in fake_slack.thread("C0001", ts)
        ),
        "the answer's last message with its feedback control",
    )

    messages = fake_slack.thread("C0001", ts)
    assert len(messages) >= 2
    assert "".join(markdown_of(m) for m in messages) == text  # nothing lost, nothing repeated
    engine = create_async_engine(sqlite_url)
    async with engine.connect() as connection:
        recorded = await connection.scalar(select(InboxItem.reply_ts))
    await engine.dispose()
    # Each opening recorded the messages before it, and a marker for the one being opened.
    assert recorded is not None and recorded.split() == [*(m.ts for m in messages[:-1]), "?"]
