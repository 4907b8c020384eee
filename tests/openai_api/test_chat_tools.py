"""Streamed tool calls and reasoning through the real client against the fake OpenAI, which
frames them as OpenAI (tool_calls fragments by index) and vLLM/llama.cpp (reasoning) do."""

from __future__ import annotations

import pytest

from bot.errors import ModelStatusError
from bot.openai_api import ChatDelta, ChatMessage, ToolCallRequest
from tests.fakes.openai import FakeOpenAI, Reply, ToolCall, ToolCalls
from tests.openai_api import connected_client

ASK: list[ChatMessage] = [{"role": "user", "content": "Where is order 7?"}]
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Look an order up.",
        "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
    },
}


async def _stream(fake: FakeOpenAI, **options: object) -> list[ChatDelta]:
    async with connected_client(fake) as client:
        return [d async for d in client.stream_chat(ASK, model="gpt-4o-mini", **options)]  # type: ignore[arg-type]


async def test_tool_call_fragments_are_joined_into_whole_calls() -> None:
    async with FakeOpenAI() as fake:
        fake.script_chat(
            ToolCalls(
                [
                    ToolCall("lookup_order", {"id": "7", "detail": "full"}, id="call_a"),
                    ToolCall("lookup_order", {"id": "8"}, id="call_b"),
                ],
                chunk_chars=3,
            )
        )
        deltas = await _stream(fake, tools=[TOOL])
        [body] = fake.chat_requests()
    done = deltas[-1]
    assert done.done and done.finish_reason == "tool_calls"
    assert done.tool_calls == (
        ToolCallRequest("call_a", "lookup_order", '{"id": "7", "detail": "full"}'),
        ToolCallRequest("call_b", "lookup_order", '{"id": "8"}'),
    )
    assert body["tools"] == [TOOL]
    assert "".join(d.text for d in deltas) == ""


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_arrives_apart_from_the_text(field: str) -> None:
    async with FakeOpenAI() as fake:
        fake.script_chat(Reply("Seven.", reasoning="Think it over first.", reasoning_field=field))
        deltas = await _stream(fake)
    assert "".join(d.reasoning for d in deltas) == "Think it over first."
    assert "".join(d.text for d in deltas) == "Seven."


async def test_reasoning_effort_goes_in_the_body_and_the_fake_refuses_it_for_other_models() -> None:
    async with FakeOpenAI() as fake, connected_client(fake) as client:
        deltas = [d async for d in client.stream_chat(ASK, model="o4-mini", reasoning_effort="low")]
        assert deltas[-1].done
        assert fake.chat_requests()[0]["reasoning_effort"] == "low"
        with pytest.raises(ModelStatusError) as refused:
            async for _ in client.stream_chat(ASK, model="gpt-4o-mini", reasoning_effort="low"):
                pass
    assert refused.value.code == "unsupported_parameter"
