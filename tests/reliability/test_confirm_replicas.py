"""Issue 16: an Approve click that a load balancer sends to the other replica still decides
the question (it lives in the shared database), and still only the requester's counts."""

from __future__ import annotations

from tests.conftest import SettingsFactory, start_bot
from tests.fakes.mcp_server import FakeMcpServer
from tests.fakes.openai import FakeOpenAI, Reply, ToolCall, ToolCalls
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import block_actions_body
from tests.reliability.conftest import mention
from tests.tools.questions import question_key

FORM = "application/x-www-form-urlencoded"


async def test_a_click_on_the_other_replica_decides_thequestion_key(
    postgres_url: str,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    fake_mcp: FakeMcpServer,
) -> None:
    cancel = ToolCall("crm__cancel_order", {"order_id": "B-7"})
    fake_openai.script_chat(ToolCalls([cancel]), Reply("Order B-7 is cancelled."))
    settings = make_settings(
        DATABASE_URL=postgres_url,
        MCP_SERVERS=f"crm={fake_mcp.url}",
        MCP_ALLOWED_TOOLS="crm.*",
        MCP_CONFIRM_TOOLS="crm.cancel_order",
    )
    asking, other = await start_bot(settings), await start_bot(settings)
    try:
        await mention(asking, "cancel order B-7")
        await fake_slack.wait_until(lambda: question_key(fake_slack) is not None, "a question")
        key = str(question_key(fake_slack))
        stranger = block_actions_body("tool_confirm_approve", key, user_id="U0OTHER")
        assert (await other.post(stranger, content_type=FORM)).status_code == 200
        await fake_slack.wait_for_calls("chat.postEphemeral", 1)
        assert fake_mcp.calls == []
        mine = block_actions_body("tool_confirm_approve", key, user_id="U0USER")
        assert (await other.post(mine, content_type=FORM)).status_code == 200
        await fake_slack.wait_for_calls("chat.stopStream", 1)
    finally:
        await asking.close()
        await other.close()
    assert fake_mcp.calls == [("cancel_order", {"order_id": "B-7"})]
    assert fake_slack.calls_to("chat.update")[0].args["text"].startswith("✅ Approved")
