"""Issue 15, the agent messaging experience through the real app: suggested prompts when the
Messages tab opens (or an assistant thread starts, or the user looks at a channel), a title for
every new DM conversation, loading messages that fit the work, and an ``/imagine`` typed in a
DM drawn into its thread."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.fakes.openai import FakeOpenAI, ImageReply, Reply
from tests.fakes.png import PNG_SIGNATURE
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts

PROMPTS = "Summarize|Summarize what I paste next;Draw|/imagine a red fox in the snow"


def _home_opened(tab: str, user: str = "U0USER", channel: str = "D0USER") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": channel, "tab": tab}


async def test_opening_the_messages_tab_offers_the_configured_prompts_on_the_dm(
    make_settings: SettingsFactory, fake_slack: FakeSlack
) -> None:
    bot = await start_bot(make_settings(SUGGESTED_PROMPTS=PROMPTS))
    try:
        assert (await bot.post(event_body(_home_opened("messages")))).status_code == 200
        await fake_slack.wait_for_calls("assistant.threads.setSuggestedPrompts", 1)
    finally:
        await bot.close()
    [call] = fake_slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert call.args["channel_id"] == "D0USER"
    assert "thread_ts" not in call.args  # agent view: a thread_ts would be ignored silently
    assert call.args["prompts"] == [
        {"title": "Summarize", "message": "Summarize what I paste next"},
        {"title": "Draw", "message": "/imagine a red fox in the snow"},
    ]
    assert not fake_slack.calls_to("views.publish")


async def test_an_assistant_thread_on_the_older_view_gets_the_prompts_on_its_thread(
    bot: RunningBot, fake_slack: FakeSlack
) -> None:
    thread_ts = new_ts()
    event = {
        "type": "assistant_thread_started",
        "assistant_thread": {"user_id": "U0USER", "channel_id": "D0USER", "thread_ts": thread_ts},
        "event_ts": new_ts(),
    }
    await bot.post(event_body(event))
    await fake_slack.wait_for_calls("assistant.threads.setSuggestedPrompts", 1)
    [call] = fake_slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert (call.args["channel_id"], call.args["thread_ts"]) == ("D0USER", thread_ts)
    assert len(call.args["prompts"]) == 4
    assert any(p["message"].startswith("/imagine ") for p in call.args["prompts"])


async def test_looking_at_a_channel_the_bot_talks_in_offers_to_summarize_it(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Hello there."))
    await bot.post(event_body(mention_event("hi", channel="C0TALK")))
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    def looking_at(channel: str) -> dict[str, Any]:
        entity = {"type": "slack#/types/channel_id", "value": channel, "team_id": "T0001"}
        return {
            "type": "app_context_changed",
            "user": "U0USER",
            "channel": "D0USER",
            "context": {"entities": [entity]},
        }

    await bot.post(event_body(looking_at("C0QUIET")))  # never talked there: nothing offered
    await bot.post(event_body(looking_at("C0TALK")))
    await fake_slack.wait_for_calls("assistant.threads.setSuggestedPrompts", 1)
    await bot.background_done()
    [call] = fake_slack.calls_to("assistant.threads.setSuggestedPrompts")
    first = call.args["prompts"][0]
    assert first["message"] == "Summarize the recent discussion in <#C0TALK>"
    assert len(call.args["prompts"]) == 4
    assert not fake_slack.calls_to("conversations.replies")  # not read until asked
    assert not fake_slack.calls_to("conversations.history")


async def test_a_new_dm_conversation_gets_a_title_and_fitting_loading_messages(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(Reply("Use a context manager."), Reply("Yes."))
    root = new_ts()
    text = "How do I make sure my <https://docs.python.org|Python> files are always closed, even when errors happen?"
    await bot.post(event_body(message_event(text, channel="D0USER", channel_type="im", ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    await fake_slack.wait_for_calls("assistant.threads.setTitle", 1)
    follow_up = message_event("and sockets?", channel="D0USER", channel_type="im", thread_ts=root)
    await bot.post(event_body(follow_up))
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    await bot.background_done()

    [title] = fake_slack.calls_to("assistant.threads.setTitle")  # the follow-up adds none
    assert (title.args["channel_id"], title.args["thread_ts"]) == ("D0USER", root)
    assert title.args["title"] == "How do I make sure my Python files are always closed, even…"
    status = fake_slack.calls_to("assistant.threads.setStatus")[0]
    assert status.args["loading_messages"][0] == "Thinking…"


async def test_imagine_typed_in_a_dm_is_drawn_into_its_thread(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_images(ImageReply())
    root = new_ts()
    text = "/imagine a red fox in the snow"
    await bot.post(event_body(message_event(text, channel="D0USER", channel_type="im", ts=root)))
    await fake_slack.wait_until(lambda: any(u.shared for u in fake_slack.uploads), "a shared file")
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    [upload] = [u for u in fake_slack.uploads if u.shared]
    assert (upload.channel_id, upload.thread_ts) == ("D0USER", root)
    assert upload.data.startswith(PNG_SIGNATURE)
    [request] = [r for r in fake_openai.requests if r.path.endswith("/images/generations")]
    assert request.json is not None and request.json["prompt"] == "a red fox in the snow"
    assert not fake_openai.chat_requests()  # drawn, not answered as a question
    [card] = fake_slack.thread("D0USER", root)
    assert [(t["id"], t["status"]) for t in card.tasks] == [
        ("drawing", "in_progress"),
        ("drawing", "complete"),
    ]
    status = fake_slack.calls_to("assistant.threads.setStatus")[0]
    assert status.args["loading_messages"][0] == "Drawing…"
