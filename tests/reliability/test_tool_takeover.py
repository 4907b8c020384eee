"""Issue 16: a process killed between a tool call and its result. The call was recorded before
it ran; whoever takes the delivery over reports it to the model as interrupted and never runs
it a second time."""

from __future__ import annotations

import signal
from pathlib import Path

from bot.conversations.tool_loop import INTERRUPTED_RESULT
from bot.store.models import Message, TurnStatus
from tests.db_reads import stored
from tests.fakes.openai import IMAGES_PATH, FakeOpenAI, Hold, Reply, ToolCall, ToolCalls
from tests.fakes.slack import FakeSlack
from tests.reliability.bot_process import BotProcess, bot_env


async def test_killed_while_a_tool_runs_the_takeover_reports_it_interrupted_and_never_reruns_it(
    database_url: str, fake_slack: FakeSlack, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.script_chat(
        ToolCalls([ToolCall("generate_image", {"prompt": "a lighthouse"})]),
        Reply("The drawing was interrupted; shall I try again?"),
    )
    fake_openai.script_images(Hold())  # the image never comes back to the first process
    env = bot_env(fake_slack, fake_openai, database_url)
    first = await BotProcess.start(env, tmp_path)
    await first.mention("draw a lighthouse")
    await fake_openai.wait_for_requests(IMAGES_PATH, 1, timeout=10)
    await first.signal(signal.SIGKILL)

    second = await BotProcess.start(env, tmp_path)
    try:
        await fake_slack.wait_until(
            lambda: any(
                "shall I try again" in m.visible_text() for m in fake_slack.messages.values()
            ),
            "the taken-over answer",
            timeout=15,
        )
    finally:
        assert await second.signal(signal.SIGTERM) == 0

    assert len(fake_openai.image_requests()) == 1  # the tool ran once, in the killed process
    resumed = fake_openai.chat_requests()[-1]["messages"]
    assert resumed[-2]["tool_calls"][0]["function"]["name"] == "generate_image"
    assert resumed[-1] == {
        "role": "tool",
        "tool_call_id": resumed[-2]["tool_calls"][0]["id"],
        "content": INTERRUPTED_RESULT,
    }
    assert len(fake_openai.chat_requests()) == 2  # the recorded call was not asked for again
    turns = await stored(database_url, Message)
    [result] = [t for t in turns if t.role == "tool"]
    assert result.status == TurnStatus.INTERRUPTED
    assert [t.role for t in turns] == ["user", "assistant", "tool", "assistant"]
