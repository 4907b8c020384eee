"""Issue 11, defect 6: nothing the bot did not write (model output, file names, prompts) can
notify a channel, ping a person or link outside the web and mail, on any path to Slack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningBot
from tests.fakes.openai import FakeOpenAI, ImageReply, Reply
from tests.fakes.slack import FakeSlack, SlackCall
from tests.fakes.slack_mentions import sequences_sent
from tests.fakes.slack_requests import command_body, event_body, mention_event
from tests.slack_output.streaming_helpers import markdown_of

ZERO_WIDTH_SPACE = "\u200b"
CODE = "```html\n<!-- kept --> <p>Vec<String></p> <@U123> <!channel>\n```"
HOSTILE = (
    "Hey <!channel>, <!here> and <!everyone>: <!subteam^S123> meets <@U123> in <#C999>.\n\n"
    "Click [x](!channel), [y](javascript:alert(1)) or [z](<!here>); @here @channel @everyone.\n\n"
    "Fine: [docs](https://example.com/a) <https://example.com/b> [mail](mailto:a@example.com)\n\n"
    f"{CODE}\n"
)
FORM = "application/x-www-form-urlencoded"


def _finished(fake_slack: FakeSlack, thread_ts: str) -> bool:
    """Whether the thread holds an answer ended with its feedback buttons."""
    return any(
        (m.blocks or [{}])[-1].get("block_id") == "answer_feedback"
        for m in fake_slack.thread("C0001", thread_ts)
    )


def _refuse(fake_slack: FakeSlack, path: str) -> None:
    if path in ("updates", "mrkdwn"):
        fake_slack.remove_method("chat.startStream")
    if path == "mrkdwn":
        fake_slack.fail("chat.postMessage", "invalid_blocks")


@pytest.mark.parametrize("path", ["native", "updates", "mrkdwn"])
async def test_model_output_never_pings_on_any_way_an_answer_is_written(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, path: str
) -> None:
    _refuse(fake_slack, path)
    fake_openai.script_chat(Reply(HOSTILE, chunk_chars=3))
    event = mention_event("tell everyone")
    assert (await bot.post(event_body(event))).status_code == 200
    await fake_slack.wait_until(lambda: _finished(fake_slack, event["ts"]), "a finished answer")

    assert sequences_sent(fake_slack.calls) == []
    [answer] = fake_slack.thread("C0001", event["ts"])
    if path == "mrkdwn":
        shown = answer.visible_text()
        assert "<https://example.com/a|docs>" in shown
        assert "[x](!channel)" in shown.replace(ZERO_WIDTH_SPACE, "")  # shown as written
        assert "&lt;!-- kept --&gt; &lt;p&gt;Vec&lt;String&gt;&lt;/p&gt;" in shown
    else:
        shown = markdown_of(answer)
        assert shown.replace(ZERO_WIDTH_SPACE, "") == HOSTILE  # the breaks are invisible
        assert "[docs](https://example.com/a) <https://example.com/b>" in shown
        assert "<!-- kept --> <p>Vec<String></p>" in shown  # code copies as written
    assert sequences_sent([c for c in fake_slack.calls if c.method == "chat.update"]) == []


async def test_a_file_named_like_a_broadcast_is_named_harmlessly_in_the_note(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Read it."))
    name = "<!channel> @here.pdf"
    url = fake_slack.add_file(name, b"%PDF-1.4", "application/pdf")
    file = {"id": "F1", "name": name, "mimetype": "application/pdf", "size": 8, "url_private": url}
    event = {**mention_event("see attached"), "files": [file]}
    assert (await bot.post(event_body(event))).status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    assert sequences_sent(fake_slack.calls) == []
    [_answer, note] = fake_slack.thread("C0001", event["ts"])
    assert (
        f"read &lt;!channel&gt; @{ZERO_WIDTH_SPACE}here.pdf: it doesn't look" in note.visible_text()
    )


# What the bot itself writes around a prompt: who asked, and where it could not post.
BOTS_OWN = {"<@U0USER>", "<#C0OUT>", "<@U0BOT>"}


def _foreign(found: list[str]) -> list[str]:
    return [sequence for sequence in found if sequence not in BOTS_OWN]


@pytest.mark.parametrize("channel", ["C0001", "C0OUT"])
async def test_an_imagine_prompt_never_pings_in_the_ack_the_file_comment_or_the_dm(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, channel: str
) -> None:
    fake_slack.set_not_in_channel("C0OUT")
    fake_openai.script_images(ImageReply(revised_prompt="A cat for <!everyone> and @channel"))
    prompt = "<!here> a cat for <@U999> and @here"
    response = await bot.post(
        command_body("/imagine", prompt, channel_id=channel), content_type=FORM
    )
    await fake_slack.wait_for_calls("files.completeUploadExternal", 1)
    await bot.background_done()

    ack: dict[str, Any] = response.json()
    assert "<@U0USER>" in sequences_sent(fake_slack.calls)  # the comment names who asked
    assert _foreign(sequences_sent([*fake_slack.calls, _ack_call(ack)])) == []
    upload = fake_slack.uploads[-1]  # the one shared (a refused channel leaves one unshared)
    assert "“&lt;!here&gt; a cat for &lt;@U999&gt; and @\u200bhere”" in upload.initial_comment


async def test_a_mistyped_imagine_option_is_quoted_harmlessly(bot: RunningBot) -> None:
    response = await bot.post(command_body("/imagine", "a cat --size <!here>"), content_type=FORM)
    ack = response.json()
    assert ack["text"].startswith(":warning: Size &lt;!here&gt; is not supported")
    assert sequences_sent([_ack_call(ack)]) == []


def _ack_call(body: dict[str, Any]) -> SlackCall:
    """A slash command's acknowledgement, read like a call: Slack shows its ``text`` too."""
    return SlackCall("ack", body, {})
