"""Issue 16, MCP tools end to end: the real bot's MCP client (the official SDK) against a small
MCP server on loopback built from the SDK's own server classes, signed Slack events and clicks."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from bot.tools.mcp_tools import McpServerTools
from tests.conftest import RunningBot, SettingsFactory, start_bot
from tests.fakes.mcp_server import FakeMcpServer
from tests.fakes.openai import FakeOpenAI, Reply, ToolCall, ToolCalls
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import block_actions_body, event_body, mention_event, new_ts
from tests.tools.questions import question_key

FORM = "application/x-www-form-urlencoded"


async def _bot_with_mcp(make_settings: SettingsFactory, url: str, **extra: str) -> RunningBot:
    bot = await start_bot(make_settings(MCP_SERVERS=f"crm={url}", **extra))
    assert _mcp(bot).listed.is_set()  # start-up waited for the first listing
    return bot


def _mcp(bot: RunningBot) -> McpServerTools:
    return bot.server.services.toolbox.servers[0]


def _tool_names(request: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in request.get("tools") or []]


async def _mention(bot: RunningBot, text: str) -> str:
    ts = new_ts()
    assert (await bot.post(event_body(mention_event(text, ts=ts)))).status_code == 200
    return ts


async def test_an_allowed_mcp_tool_is_called_and_its_result_used(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    fake_mcp: FakeMcpServer,
) -> None:
    lookup = ToolCall("crm__lookup_order", {"order_id": "A-17"})
    fake_openai.script_chat(ToolCalls([lookup]), Reply("Order A-17 shipped on 30 November."))
    bot = await _bot_with_mcp(
        make_settings,
        fake_mcp.url,
        MCP_ALLOWED_TOOLS="crm.lookup_order",
        MCP_HEADERS_CRM="Authorization: Bearer crm-secret",
    )
    try:
        ts = await _mention(bot, "where is order A-17?")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()

    assert fake_mcp.calls == [("lookup_order", {"order_id": "A-17"})]
    first, second = fake_openai.chat_requests()
    # cancel_order is not allowed
    assert _tool_names(first) == ["generate_image", "summarize_thread", "crm__lookup_order"]
    result = second["messages"][-1]
    assert result["role"] == "tool" and "shipped on 2026-11-30" in result["content"]
    assert all(h.get("authorization") == "Bearer crm-secret" for h in fake_mcp.headers)
    [answer] = fake_slack.thread("C0001", ts)
    steps = [(t["title"], t["status"]) for t in answer.tasks]  # the task card the user saw
    assert any("crm.lookup_order" in title and status == "complete" for title, status in steps)
    assert answer.visible_text().endswith("Order A-17 shipped on 30 November.")


async def test_a_failing_mcp_tool_is_reported_to_the_model_and_shown_as_an_error(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    fake_mcp: FakeMcpServer,
) -> None:
    history = ToolCall("crm__order_history", {"customer_id": "C-9"})
    fake_openai.script_chat(ToolCalls([history]), Reply("The order system is down right now."))
    bot = await _bot_with_mcp(make_settings, fake_mcp.url, MCP_ALLOWED_TOOLS="crm.*")
    try:
        ts = await _mention(bot, "what did C-9 order?")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    result = fake_openai.chat_requests()[1]["messages"][-1]
    assert result["role"] == "tool" and "order database offline" in result["content"]
    [answer] = fake_slack.thread("C0001", ts)
    assert any("crm.order_history" in t["title"] and t["status"] == "error" for t in answer.tasks)


async def test_a_long_result_is_cut_and_a_slow_call_times_out(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    fake_mcp: FakeMcpServer,
) -> None:
    fake_openai.script_chat(
        ToolCalls(
            [
                ToolCall("crm__lookup_order", {"order_id": "A-17"}),
                ToolCall("crm__archive_orders", {}),
            ]
        ),
        Reply("Partly done."),
    )
    bot = await _bot_with_mcp(
        make_settings,
        fake_mcp.url,
        MCP_ALLOWED_TOOLS="crm.*",
        MCP_RESULT_MAX_CHARS="12",
        MCP_CALL_TIMEOUT_SECONDS="0.5",
    )
    try:
        await _mention(bot, "look up A-17 and archive everything")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    cut, slow = fake_openai.chat_requests()[1]["messages"][-2:]
    assert cut["content"].startswith("Order A-17: ") and "[result cut to 12 of" in cut["content"]
    assert "did not answer within 0.5 seconds" in slow["content"]


async def test_an_mcp_server_that_is_down_leaves_the_bot_answering_without_it(
    make_settings: SettingsFactory, fake_slack: FakeSlack, fake_openai: FakeOpenAI
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/mcp"
    fake_openai.script_chat(Reply("Answered anyway."))
    bot = await _bot_with_mcp(make_settings, closed, MCP_ALLOWED_TOOLS="crm.*")
    try:
        ts = await _mention(bot, "where is order A-17?")
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    [request] = fake_openai.chat_requests()
    assert _tool_names(request) == ["generate_image", "summarize_thread"]
    assert [m.visible_text() for m in fake_slack.thread("C0001", ts)] == ["Answered anyway."]


async def test_tools_are_listed_again_when_the_server_says_they_changed(
    make_settings: SettingsFactory, fake_mcp: FakeMcpServer
) -> None:
    bot = await _bot_with_mcp(make_settings, fake_mcp.url, MCP_ALLOWED_TOOLS="crm.*")
    try:
        assert "crm.ping" not in {t.title for t in _mcp(bot).tools}
        _mcp(bot).listed.clear()
        await fake_mcp.add_tool_and_announce("ping", "pong")
        async with asyncio.timeout(10):
            await _mcp(bot).listed.wait()
        assert "crm.ping" in {t.title for t in _mcp(bot).tools}
    finally:
        await bot.close()


async def test_tools_are_listed_again_every_refresh_interval(
    make_settings: SettingsFactory, fake_mcp: FakeMcpServer
) -> None:
    bot = await _bot_with_mcp(
        make_settings, fake_mcp.url, MCP_ALLOWED_TOOLS="crm.*", MCP_REFRESH_SECONDS="0.2"
    )
    try:
        _mcp(bot).listed.clear()
        fake_mcp.add_tool("quiet", "shh")  # no change announced
        async with asyncio.timeout(5):
            await _mcp(bot).listed.wait()
        assert "crm.quiet" in {t.title for t in _mcp(bot).tools}
    finally:
        await bot.close()


async def _asked_to_cancel(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    fake_mcp: FakeMcpServer,
    order: str,
    answer: str,
) -> tuple[RunningBot, str, str]:
    """The model calls the confirm tool ``cancel_order``; returns the bot, the thread and the
    question's confirmation id once the question is in the thread."""
    cancel = ToolCall("crm__cancel_order", {"order_id": order})
    fake_openai.script_chat(ToolCalls([cancel]), Reply(answer))
    bot = await _bot_with_mcp(
        make_settings, fake_mcp.url, MCP_ALLOWED_TOOLS="crm.*", MCP_CONFIRM_TOOLS="crm.cancel_order"
    )
    ts = await _mention(bot, f"cancel order {order}")
    await fake_slack.wait_until(lambda: question_key(fake_slack) is not None, "a question")
    return bot, ts, str(question_key(fake_slack))


async def test_a_confirm_tool_waits_for_the_requesters_approval_and_ignores_others(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    fake_mcp: FakeMcpServer,
) -> None:
    bot, ts, confirmation = await _asked_to_cancel(
        make_settings, fake_slack, fake_openai, fake_mcp, "B-2", "Order B-2 is cancelled."
    )
    try:
        [question] = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("blocks")]
        assert question.args["thread_ts"] == ts and "<@U0USER>" in question.args["text"]

        other = block_actions_body("tool_confirm_approve", confirmation, user_id="U0OTHER")
        assert (await bot.post(other, content_type=FORM)).status_code == 200
        await fake_slack.wait_for_calls("chat.postEphemeral", 1)
        assert fake_slack.calls_to("chat.postEphemeral")[0].args["user"] == "U0OTHER"
        assert fake_mcp.calls == []  # another user's click counts for nothing

        mine = block_actions_body("tool_confirm_approve", confirmation, user_id="U0USER")
        assert (await bot.post(mine, content_type=FORM)).status_code == 200
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    assert fake_mcp.calls == [("cancel_order", {"order_id": "B-2"})]
    [settled] = fake_slack.calls_to("chat.update")
    assert settled.args["text"].startswith("✅ Approved")
    assert fake_openai.chat_requests()[1]["messages"][-1]["content"] == "Order B-2 cancelled"


async def test_a_denied_confirm_tool_is_not_run_and_the_model_is_told(
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    fake_mcp: FakeMcpServer,
) -> None:
    bot, _ts, confirmation = await _asked_to_cancel(
        make_settings, fake_slack, fake_openai, fake_mcp, "B-3", "Nothing was cancelled."
    )
    try:
        deny = block_actions_body("tool_confirm_deny", confirmation)
        assert (await bot.post(deny, content_type=FORM)).status_code == 200
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await bot.close()
    assert fake_mcp.calls == []
    assert "did not approve" in fake_openai.chat_requests()[1]["messages"][-1]["content"]
