"""Issue 16, "summarize this thread" in a conversation with the bot: the model calls the
built-in ``summarize_thread`` tool, which reads the conversation's own thread once (the
shortcut's service: access rules, budgets, usage ledger), gives the summary back to the model
as the tool's result and posts nothing itself; the model's answer is what the thread gets."""

from __future__ import annotations

from typing import Any

from bot.store.models import UsageRecord
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.db_reads import stored
from tests.fakes.openai import FakeOpenAI, Reply, ToolCall, ToolCalls
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import event_body, mention_event, message_event, new_ts

SUMMARY = "**Summary**\nShip Friday.\n\n**Decisions**\n- Ship Friday\n\n**Owners**\n- Bob: notes"
ANSWER = "In short: you ship Friday, and Bob writes the release notes."


async def _conversation_then_ask_for_a_summary(
    bot: RunningBot, fake_slack: FakeSlack, *, others_reply: bool = True
) -> str:
    """A thread the bot answered in, where Bob replied without mentioning it; then the user
    asks, in the thread, for a summary. The thread's root ts."""
    root = new_ts()
    await bot.post(event_body(mention_event("shall we ship Friday?", ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 1)
    ask = new_ts()
    said = [{"type": "message", "user": "U0USER", "text": "shall we ship Friday?", "ts": root}]
    if others_reply:
        bob = "yes, and I'll write the release notes"
        said.append({"type": "message", "user": "U0BOB", "text": bob, "ts": new_ts()})
    said.append({"type": "message", "user": "U0USER", "text": "summarize this thread", "ts": ask})
    fake_slack.add_thread("C0001", [{**m, "thread_ts": root} for m in said[1:]] + said[:1])
    await bot.post(event_body(message_event("summarize this thread", ts=ask, thread_ts=root)))
    await fake_slack.wait_for_calls("chat.stopStream", 2)
    return root


def _tool_result(request: dict[str, Any]) -> dict[str, Any]:
    call_message, result = request["messages"][-2:]
    assert call_message["tool_calls"][0]["function"]["name"] == "summarize_thread"
    assert result["role"] == "tool"
    assert result["tool_call_id"] == call_message["tool_calls"][0]["id"]
    return result


async def test_summarize_this_thread_reads_it_once_and_the_model_answers_with_the_summary(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    fake_openai.script_chat(
        Reply("Happy to help."),
        ToolCalls([ToolCall("summarize_thread", {})]),
        Reply(SUMMARY),  # the summarizer's own (non-streamed) call
        Reply(ANSWER),
    )
    bot = await start_bot(make_settings())
    try:
        root = await _conversation_then_ask_for_a_summary(bot, fake_slack)
    finally:
        await bot.close()

    [read] = fake_slack.calls_to("conversations.replies")
    assert (read.args["channel"], read.args["ts"]) == ("C0001", root)
    _, asks, summarizing, answering = fake_openai.chat_requests()
    assert "summarize_thread" in [t["function"]["name"] for t in asks["tools"]]
    tool = next(t for t in asks["tools"] if t["function"]["name"] == "summarize_thread")
    assert tool["function"]["parameters"]["properties"] == {}  # always this thread, no choice
    assert "stream" not in summarizing and "tools" not in summarizing
    assert "release notes" in summarizing["messages"][-1]["content"]
    result = _tool_result(answering)
    assert "Ship Friday" in result["content"] and "Bob: notes" in result["content"]
    assert len(result["content"]) < 9000

    answers = [m.visible_text() for m in fake_slack.thread("C0001", root)]
    assert answers[-1].rstrip().endswith(ANSWER)
    assert fake_slack.calls_to("chat.postEphemeral") == []  # the tool shows nothing itself
    assert not any(SUMMARY in str(c.args) for c in fake_slack.calls_to("chat.postMessage"))
    usage = await stored(sqlite_url, UsageRecord)
    [summary_call] = [u for u in usage if u.conversation_id is None]  # the summary's own
    assert (summary_call.kind, summary_call.user_id, summary_call.channel_id) == (
        "chat",
        "U0USER",
        "C0001",
    )


async def test_a_thread_the_bot_may_not_read_is_a_short_tool_result_and_the_answer_goes_on(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(
        Reply("Happy to help."),
        ToolCalls([ToolCall("summarize_thread", {})]),
        Reply("I can't read this thread: I need a permission reinstalling the app gives."),
    )
    fake_slack.fail("conversations.replies", "missing_scope")
    bot = await start_bot(make_settings())
    try:
        root = await _conversation_then_ask_for_a_summary(bot, fake_slack)
    finally:
        await bot.close()

    _, _, answering = fake_openai.chat_requests()  # no summarizing call
    result = _tool_result(answering)
    assert "reinstalling the app" in result["content"] and len(result["content"]) < 400
    answer = fake_slack.thread("C0001", root)[-1].visible_text()
    assert answer.rstrip().endswith("reinstalling the app gives.")
    assert fake_slack.calls_to("chat.postEphemeral") == []


async def test_a_mention_without_replies_has_no_thread_to_summarize(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script_chat(
        ToolCalls([ToolCall("summarize_thread", {})]), Reply("There is nothing to sum up yet.")
    )
    bot = await start_bot(make_settings())
    try:
        ts = new_ts()
        fake_slack.add_thread(
            "C0001", [{"type": "message", "user": "U0USER", "text": "hi", "ts": ts}]
        )
        await bot.post(event_body(mention_event("summarize this thread", ts=ts)))
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    _, answering = fake_openai.chat_requests()
    result = _tool_result(answering)
    assert result["content"] == (
        "No summary: This message has no replies yet, so there's no thread to summarize."
    )
    assert fake_slack.thread("C0001", ts)[-1].visible_text().rstrip().endswith("sum up yet.")
