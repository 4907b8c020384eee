"""Issue 16, the tool loop end to end: signed events into the real app, the fake OpenAI
streaming ``tool_calls`` and reasoning deltas as OpenAI and vLLM do, the real images endpoint
flow and the fake Slack's real upload flow."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.store.models import Message
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import stored
from tests.fakes.openai import FakeOpenAI, ImageReply, Reply, ToolCall, ToolCalls
from tests.fakes.png import PNG_SIGNATURE
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts

REVISED = "A lighthouse keeper mascot in a yellow raincoat, storybook style."


async def _mention(bot: RunningBot, text: str) -> str:
    ts = new_ts()
    assert (await bot.post(event_body(mention_event(text, ts=ts)))).status_code == 200
    return ts


def _tool_names(request: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in request.get("tools") or []]


async def test_drawing_request_posts_one_png_in_that_thread_and_the_answer_continues(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    draw = ToolCall("generate_image", {"prompt": "our mascot as a lighthouse keeper"})
    fake_openai.script_chat(
        ToolCalls([draw], text="Let me draw that."), Reply("Here is your lighthouse keeper!")
    )
    fake_openai.script_images(ImageReply(revised_prompt=REVISED))
    bot = await start_bot(make_settings())
    try:
        await _draw_and_refine(bot, fake_slack, fake_openai)
    finally:
        await bot.close()  # lets the last answer be stored
    roles = [m.role for m in await stored(sqlite_url, Message)]
    assert roles == ["user", "assistant", "tool", "assistant", "user", "assistant"]


async def _draw_and_refine(bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI) -> None:
    ts = await _mention(bot, "draw our mascot as a lighthouse keeper")
    await fake_slack.wait_for_calls("chat.stopStream", 1)

    [image_request] = fake_openai.image_requests()
    assert (image_request["prompt"], image_request["model"]) == (
        "our mascot as a lighthouse keeper",
        "gpt-image-1",
    )
    [upload] = fake_slack.uploads
    assert upload.data.startswith(PNG_SIGNATURE)
    assert (upload.shared, upload.channel_id, upload.thread_ts) == (True, "C0001", ts)
    first, second = fake_openai.chat_requests()
    assert "generate_image" in _tool_names(first)
    call_message, result = second["messages"][-2:]
    assert call_message["role"] == "assistant"
    assert call_message["tool_calls"][0]["function"]["name"] == "generate_image"
    assert (
        result["role"] == "tool" and result["tool_call_id"] == call_message["tool_calls"][0]["id"]
    )
    assert REVISED in result["content"] and len(result["content"]) < 500  # no bytes
    [answer] = [m for m in fake_slack.thread("C0001", ts) if m.ts != ts]
    shown = answer.visible_text()
    assert shown.startswith("Let me draw that.") and shown.endswith(
        "Here is your lighthouse keeper!"
    )

    follow = message_event("make it night-time", thread_ts=ts)
    assert (await bot.post(event_body(follow))).status_code == 200
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    third = fake_openai.chat_requests()[2]
    assert any(m["role"] == "tool" and REVISED in m["content"] for m in third["messages"])


async def test_reasoning_shows_as_a_thinking_step_never_in_the_answer_or_the_store(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    thoughts = "The user wants the sum; 40 plus 2 is 42, double-check: yes."
    fake_openai.script_chat(Reply("It is 42.", reasoning=thoughts))
    bot = await start_bot(make_settings(OPENAI_MODEL="o4-mini", OPENAI_REASONING_EFFORT="high"))
    try:
        ts = await _mention(bot, "what is 40 + 2?")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    [request] = fake_openai.chat_requests()
    assert request["reasoning_effort"] == "high"
    [answer] = fake_slack.thread("C0001", ts)
    shown = answer.visible_text()
    assert [t["title"] for t in answer.tasks][-1] == "Thinking"
    assert answer.tasks[-1]["status"] == "complete"
    assert shown.rstrip() == "It is 42."
    assert "double-check" not in shown
    turns = await stored(sqlite_url, Message)
    assert [m.text for m in turns if m.role == "assistant"] == ["It is 42."]
    assert not any("double-check" in m.text for m in turns)


async def test_reasoning_effort_is_sent_only_to_models_that_take_it(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    bot = await start_bot(make_settings(OPENAI_REASONING_EFFORT="low"))  # gpt-4o-mini
    try:
        await _mention(bot, "hello")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    [request] = fake_openai.chat_requests()
    assert "reasoning_effort" not in request


async def test_a_server_that_refuses_tools_is_answered_without_them_from_then_on(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.refuse_tools = True
    fake_openai.script_chat(Reply("Plain answer."), Reply("Second plain answer."))
    ts = await _mention(bot, "hi")
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    await bot.post(event_body(message_event("and again", thread_ts=ts)))
    await fake_slack.wait_for_calls("chat.stopStream", 2)

    offered = [bool(r.get("tools")) for r in fake_openai.chat_requests()]
    assert offered == [True, False, False]  # refused once, remembered for the model
    answers = [m.visible_text() for m in fake_slack.thread("C0001", ts)]
    assert answers == ["Plain answer.", "Second plain answer."]


async def test_tool_rounds_are_bounded_and_the_last_round_answers_without_tools(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    draw = ToolCall("generate_image", {"prompt": "a cat"})
    fake_openai.script_chat(ToolCalls([draw]), ToolCalls([draw]), Reply("Two cats drawn."))
    bot = await start_bot(make_settings(MAX_TOOL_ROUNDS="2"))
    try:
        await _mention(bot, "draw cats forever")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    requests = fake_openai.chat_requests()
    assert [r.get("tool_choice") for r in requests] == [None, None, "none"]
    assert len(fake_openai.image_requests()) == 2


async def test_a_tool_call_with_invalid_options_is_explained_to_the_model_not_run(
    bot: RunningBot, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    bad = ToolCall("generate_image", {"prompt": "a cat", "size": "7x7"})
    fake_openai.script_chat(ToolCalls([bad]), Reply("That size is not possible."))
    await _mention(bot, "draw a tiny cat")
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    assert fake_openai.image_requests() == []
    result = fake_openai.chat_requests()[1]["messages"][-1]
    assert result["role"] == "tool" and "Size 7x7 is not supported" in result["content"]
    assert (
        json.loads(
            fake_openai.chat_requests()[1]["messages"][-2]["tool_calls"][0]["function"]["arguments"]
        )
        == bad.arguments
    )
    # The round's turns are stored uncounted: a tool round never loads the tokenizer.
    await bot.server.services.inbox.stop(time.monotonic() + 5)
    rounds = [t for t in await stored(sqlite_url, Message) if t.tool_calls or t.role == "tool"]
    assert [(t.role, t.token_count) for t in rounds] == [("assistant", None), ("tool", None)]
    assert not bot.server.services.counter.is_loaded(bot.server.settings.openai_model)
