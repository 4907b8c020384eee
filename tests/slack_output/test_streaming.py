"""StreamingReply against the fake Slack with the real AsyncWebClient and a hand-driven clock."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError
from bot.slack_output.markdown_split import NextMessage, StreamSplitter, slack_length
from bot.slack_output.safe_text import MarkdownEscaper, escape_markdown
from bot.slack_output.streaming import SlackReplies, StreamingReply
from tests.fakes.slack import FakeSlack
from tests.slack_output.streaming_helpers import long_answer, markdown_of, open_fence, rejoin

THREAD = "1700000000.000100"
WRITE_METHODS = {
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
    "chat.postMessage",
    "chat.update",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _replies(slack: FakeSlack, clock: Clock) -> SlackReplies:
    client = AsyncWebClient(token=slack.token, base_url=slack.api_url)
    return SlackReplies(client, stream_interval=0.5, update_interval=1.0, clock=clock)


def _open(replies: SlackReplies, channel: str = "C0001") -> StreamingReply:
    return replies.open(
        channel=channel, thread_ts=THREAD, recipient_user_id="U0USER", recipient_team_id="T0001"
    )


def _writes(slack: FakeSlack) -> int:
    return sum(1 for call in slack.calls if call.method in WRITE_METHODS)


async def _stream(reply: StreamingReply, tokens: list[str], clock: Clock, step: float) -> None:
    for token in tokens:
        clock.now += step
        await reply.append(token)
    await reply.finish()


TOKENS = [f"w{i} " if i % 40 else f"w{i}\n\n" for i in range(2_000)]  # 2,000 tokens, ~11,000 chars


async def test_a_2000_token_answer_costs_a_bounded_number_of_calls_natively(
    fake_slack: FakeSlack,
) -> None:
    clock = Clock()
    reply = _open(_replies(fake_slack, clock))
    await _stream(reply, TOKENS, clock, step=0.01)  # 20 s of answer

    messages = fake_slack.thread("C0001", THREAD)
    assert rejoin([markdown_of(m) for m in messages]) == "".join(TOKENS)
    # Bound: 2 per message (start, stop) + one send per interval of the answer's duration.
    assert _writes(fake_slack) <= 2 * len(messages) + 20 / 0.5
    assert fake_slack.calls_to("chat.update") == []


async def test_tokens_between_sends_go_out_together_escaped_as_the_whole_answer(
    fake_slack: FakeSlack,
) -> None:
    text = "Hi <!channel> see [x](javascript:alert(1)) and <@U123>, " * 20
    tokens = [text[i : i + 3] for i in range(0, len(text), 3)]  # cuts inside every mention
    clock = Clock()
    reply = _open(_replies(fake_slack, clock))
    await _stream(reply, tokens, clock, step=0.01)  # fifty tokens per 0.5 s interval

    [message] = fake_slack.thread("C0001", THREAD)
    assert markdown_of(message) == escape_markdown(text)
    assert len(fake_slack.calls_to("chat.appendStream")) <= len(tokens) * 0.01 / 0.5 + 1


def _filling_token(tokens: list[str]) -> int:
    """The index of the token that fills the first message, escaping and splitting per token."""
    escaper, splitter = MarkdownEscaper(), StreamSplitter()
    for index, token in enumerate(tokens):
        if any(isinstance(s, NextMessage) for s in splitter.feed(escaper.feed(token))):
            return index
    raise AssertionError("the answer fits one message")


async def test_the_next_message_opens_on_the_token_that_fills_one_though_no_send_is_due(
    fake_slack: FakeSlack,
) -> None:
    text = long_answer().replace("print(", "<@U1> <!here> print(")  # escaping lengthens it
    tokens = [text[i : i + 5] for i in range(0, len(text), 5)]
    filling = _filling_token(tokens)
    reply = _open(_replies(fake_slack, Clock()))  # the clock stands: no send falls due
    for token in tokens[:filling]:
        await reply.append(token)
    assert len(fake_slack.thread("C0001", THREAD)) == 1

    await reply.append(tokens[filling])  # then the model pauses
    first, second = fake_slack.thread("C0001", THREAD)
    assert not first.streaming and second.streaming
    assert slack_length(markdown_of(first)) <= 12_000


async def test_unknown_method_falls_back_to_updates_at_most_once_a_second_and_is_remembered(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.remove_method("chat.startStream")
    clock = Clock()
    replies = _replies(fake_slack, clock)
    first, second = _open(replies), _open(replies)
    await _stream(first, TOKENS[:500], clock, step=0.01)  # 5 s
    assert len(fake_slack.calls_to("chat.startStream")) == 1
    assert len(fake_slack.calls_to("chat.update")) <= 5 + 1
    await _stream(second, ["Second ", "answer."], clock, step=0.01)

    assert len(fake_slack.calls_to("chat.startStream")) == 1  # not tried again
    one, two = fake_slack.thread("C0001", THREAD)
    assert markdown_of(one) == "".join(TOKENS[:500])
    assert markdown_of(two) == "Second answer."
    assert two.text == "Second answer."  # the notification fallback
    assert two.blocks is not None and two.blocks[-1]["block_id"] == "answer_feedback"


async def test_a_slack_without_the_markdown_block_gets_mrkdwn_sections_from_then_on(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.remove_method("chat.startStream")
    fake_slack.fail("chat.postMessage", "invalid_blocks")
    clock = Clock()
    replies = _replies(fake_slack, clock)
    await _stream(
        _open(replies), ["# Title\n\nSome **bold** ", "and a [link](https://a.io/x_y)."], clock, 0.1
    )
    await _stream(_open(replies), ["More **text**."], clock, 0.1)

    one, two = fake_slack.thread("C0001", THREAD)
    assert one.visible_text() == "*Title*\n\nSome *bold* and a <https://a.io/x_y|link>."
    assert two.visible_text() == "More *text*."
    posted = [call.args["blocks"][0]["type"] for call in fake_slack.calls_to("chat.postMessage")]
    assert posted == ["markdown", "section", "section"]  # refused once, then never retried


async def test_a_30000_character_answer_continues_in_messages_with_intact_code_blocks(
    fake_slack: FakeSlack,
) -> None:
    for removed in (False, True):
        async with FakeSlack() as slack:
            if removed:
                slack.remove_method("chat.startStream")
            text = long_answer()
            clock = Clock()
            reply = _open(_replies(slack, clock))
            await _stream(reply, [text[i : i + 7] for i in range(0, len(text), 7)], clock, 0.001)

            parts = [markdown_of(m) for m in slack.thread("C0001", THREAD)]
            assert len(parts) >= 3
            assert all(slack_length(part) <= 12_000 for part in parts)
            assert not any(open_fence(part) for part in parts)
            assert rejoin(parts) == text == reply.text
            assert reply.ts == slack.thread("C0001", THREAD)[0].ts


async def test_only_the_last_message_of_a_complete_answer_has_feedback_buttons(
    fake_slack: FakeSlack,
) -> None:
    clock = Clock()
    reply = _open(_replies(fake_slack, clock))
    text = long_answer(20_000)
    await _stream(reply, [text], clock, 0.1)
    first, *_, last = fake_slack.thread("C0001", THREAD)
    assert first.blocks is None
    [control] = last.blocks or []
    assert control["type"] == "context_actions"
    [feedback] = control["elements"]
    assert feedback["type"] == "feedback_buttons"
    assert feedback["positive_button"]["value"] == f"up:{first.ts}"
    assert feedback["negative_button"]["value"] == f"down:{first.ts}"


async def test_an_interrupted_answer_keeps_its_text_marked_and_has_no_buttons(
    fake_slack: FakeSlack,
) -> None:
    clock = Clock()
    reply = _open(_replies(fake_slack, clock))
    await reply.append("Half an ans")
    await reply.interrupt("Answer interrupted.")
    [message] = fake_slack.thread("C0001", THREAD)
    assert message.visible_text() == "Half an ans\n\n_Answer interrupted._"
    assert message.blocks is None and not message.streaming


async def test_thinking_status_that_slack_refuses_never_blocks_and_is_not_tried_again(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.remove_method("assistant.threads.setStatus")
    clock = Clock()
    replies = _replies(fake_slack, clock)
    await fake_slack_status_attempt(replies, fake_slack)
    reply = replies.open(
        channel="D0001",
        thread_ts=THREAD,
        recipient_user_id="U0USER",
        recipient_team_id="T0001",
        thinking=True,
    )
    await _stream(reply, ["Still ", "answered."], clock, 0.1)
    assert [m.visible_text() for m in fake_slack.thread("D0001", THREAD)] == ["Still answered."]
    assert len(fake_slack.calls_to("assistant.threads.setStatus")) == 1


async def fake_slack_status_attempt(replies: SlackReplies, fake_slack: FakeSlack) -> None:
    """The first status call meets ``unknown_method``; it must not raise."""
    await replies.set_status("D0001", THREAD, "is thinking…")
    assert len(fake_slack.calls_to("assistant.threads.setStatus")) == 1
    assert replies.support.status is False


async def test_a_channel_that_refuses_streaming_gets_updates_for_that_answer_only(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.fail("chat.startStream", "channel_type_not_supported")
    clock = Clock()
    replies = _replies(fake_slack, clock)
    await _stream(_open(replies), ["First ", "answer."], clock, step=0.01)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len(fake_slack.calls_to("chat.update")) == 1  # the text and its feedback buttons
    assert fake_slack.calls_to("chat.stopStream") == []

    await _stream(_open(replies), ["Second ", "answer."], clock, step=0.01)
    assert len(fake_slack.calls_to("chat.startStream")) == 2
    assert len(fake_slack.calls_to("chat.stopStream")) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    first, second = fake_slack.thread("C0001", THREAD)
    assert markdown_of(first) == "First answer." and markdown_of(second) == "Second answer."


async def test_a_message_slack_refused_to_open_is_not_left_marked_as_being_opened(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.fail("chat.startStream", "channel_not_found")
    told: list[tuple[tuple[str, ...], bool]] = []

    async def record(written: tuple[str, ...], opening: bool) -> None:
        told.append((written, opening))

    reply = _replies(fake_slack, Clock()).open(
        channel="C0001",
        thread_ts=THREAD,
        recipient_user_id="U0USER",
        recipient_team_id="T0001",
        on_messages=record,
    )
    with pytest.raises(SlackDeliveryError):
        await reply.append("An answer.")
    # Nothing was opened, so a takeover has nothing to look for in the thread.
    assert told == [((), True), ((), False)]
