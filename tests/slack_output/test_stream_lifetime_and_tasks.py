"""StreamingReply when Slack ends a stream mid-answer, and steps of work as task cards (or as
text where messages are updated), against the fake Slack with the real AsyncWebClient."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.conversations.progress import TaskState, TaskStep
from bot.slack_output.streaming import SlackReplies, StreamingReply
from tests.fakes.slack import FakeSlack
from tests.slack_output.streaming_helpers import markdown_of

THREAD = "1700000000.000100"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _open(slack: FakeSlack, clock: Clock, written: list[tuple[str, ...]]) -> StreamingReply:
    client = AsyncWebClient(token=slack.token, base_url=slack.api_url)
    replies = SlackReplies(client, stream_interval=0.5, update_interval=1.0, clock=clock)

    async def record(messages: tuple[str, ...], opening: bool) -> None:
        if opening:
            written.append(messages)

    return replies.open(
        channel="C0001",
        thread_ts=THREAD,
        recipient_user_id="U0USER",
        recipient_team_id="T0001",
        on_messages=record,
    )


async def test_a_stream_slack_ends_continues_in_a_new_message_without_loss_or_repeat(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.end_streams_after(3)  # three appends, then Slack says the stream is over
    clock, written = Clock(), []
    reply = _open(fake_slack, clock, written)
    words = [f"word{i} " for i in range(40)]
    for word in words:
        clock.now += 0.3
        await reply.append(word)
    await reply.finish()

    messages = fake_slack.thread("C0001", THREAD)
    assert len(messages) >= 2
    assert "".join(markdown_of(m) for m in messages) == "".join(words)
    assert reply.messages == tuple(m.ts for m in messages)
    # Each opening was told every message before it (the last one's ts is the stored answer's).
    assert written == [reply.messages[:n] for n in range(len(messages))]
    assert all(not m.streaming for m in messages)
    last = messages[-1]
    assert last.blocks and last.blocks[-1]["type"] == "context_actions"
    # The feedback control names the answer by its first message.
    assert last.blocks[-1]["elements"][0]["positive_button"]["value"] == f"up:{messages[0].ts}"


async def test_steps_of_work_stream_as_task_cards_in_order_before_the_text(
    fake_slack: FakeSlack,
) -> None:
    clock, written = Clock(), []
    reply = _open(fake_slack, clock, written)
    await reply.task(TaskStep("read", "Reading the thread", TaskState.IN_PROGRESS))
    await reply.task(TaskStep("read", "Reading the thread", TaskState.COMPLETE, "12 messages"))
    await reply.append("The thread says ship it.")
    await reply.finish()

    [message] = fake_slack.thread("C0001", THREAD)
    assert [(t["id"], t["status"]) for t in message.tasks] == [
        ("read", "in_progress"),
        ("read", "complete"),
    ]
    assert message.tasks[-1]["details"] == "12 messages"
    assert message.markdown_text == "The thread says ship it."
    [start] = fake_slack.calls_to("chat.startStream")
    assert start.args["task_display_mode"] == "timeline"
    assert "markdown_text" not in start.args


async def test_a_plain_answer_stays_a_plain_message(fake_slack: FakeSlack) -> None:
    clock, written = Clock(), []
    reply = _open(fake_slack, clock, written)
    await reply.append("Just text.")
    await reply.finish()
    [start] = fake_slack.calls_to("chat.startStream")
    assert "task_display_mode" not in start.args and "chunks" not in start.args


async def test_without_streaming_the_same_steps_show_as_text_above_the_answer(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.remove_method("chat.startStream")
    clock, written = Clock(), []
    reply = _open(fake_slack, clock, written)
    await reply.task(TaskStep("read", "Reading the thread", TaskState.IN_PROGRESS))
    [posted] = fake_slack.thread("C0001", THREAD)
    assert "🔄 Reading the thread" in str(posted.blocks)
    await reply.task(TaskStep("read", "Reading the thread", TaskState.COMPLETE, "12 messages"))
    clock.now += 2
    await reply.append("The thread says ship it.")
    await reply.finish()

    [message] = fake_slack.thread("C0001", THREAD)
    kinds = [b["type"] for b in message.blocks or []]
    assert kinds == ["context", "markdown", "context_actions"]
    assert (message.blocks or [])[0]["elements"][0]["text"] == "✅ Reading the thread — 12 messages"
    assert markdown_of(message) == "The thread says ship it."


async def test_an_answer_that_never_got_text_closes_the_steps_it_showed(
    fake_slack: FakeSlack,
) -> None:
    clock, written = Clock(), []
    reply = _open(fake_slack, clock, written)
    await reply.task(TaskStep("draw", "Drawing", TaskState.ERROR))
    assert await reply.interrupt("cut off") is not None
    [message] = fake_slack.thread("C0001", THREAD)
    assert not message.streaming and message.tasks[-1]["status"] == "error"


async def test_a_slack_that_refuses_task_cards_gets_the_steps_as_text(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.fail("chat.startStream", "invalid_chunks")
    clock, written = Clock(), []
    reply = _open(fake_slack, clock, written)
    await reply.task(TaskStep("read", "Reading the thread", TaskState.IN_PROGRESS))
    await reply.task(TaskStep("read", "Reading the thread", TaskState.COMPLETE))
    clock.now += 2
    await reply.append("Answer.")
    await reply.finish()

    [message] = fake_slack.thread("C0001", THREAD)
    assert (message.blocks or [])[0]["elements"][0]["text"] == "✅ Reading the thread"
    assert markdown_of(message) == "Answer."
    assert not message.streaming and [c.method for c in fake_slack.calls][-1] == "chat.update"
