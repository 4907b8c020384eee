"""Stored tool turns as chat messages, and the rule OpenAI holds every request to: an assistant
message with ``tool_calls`` is followed by one ``tool`` message per call, and a ``tool``
message answers a call just made. History fitted to the window (or a call whose result never
got stored) can break that; ``well_formed`` mends it by leaving out what is unanswered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.openai_api.chat import ChatMessage, ToolCallPart, ToolCallRequest
from bot.store.models import Message


def stored_calls(turn: Message) -> list[ToolCallRequest]:
    """The calls an assistant tool turn recorded."""
    try:
        raw: Any = json.loads(turn.tool_calls or "[]")
    except ValueError:
        return []
    return [
        ToolCallRequest(str(c["id"]), str(c["name"]), str(c.get("arguments") or "{}"))
        for c in raw
        if isinstance(c, dict) and "id" in c and "name" in c
    ]


def call_records(calls: Sequence[ToolCallRequest]) -> list[dict[str, str]]:
    return [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls]


def tool_turn_message(turn: Message) -> ChatMessage | None:
    """A tool turn as the model sees it; None for any other turn."""
    if turn.role == "tool" and turn.tool_call_id:
        return {"role": "tool", "tool_call_id": turn.tool_call_id, "content": turn.text}
    if turn.role == "assistant" and turn.tool_calls is not None:
        return assistant_calls(turn.text, stored_calls(turn))
    return None


def assistant_calls(text: str, calls: Sequence[ToolCallRequest]) -> ChatMessage:
    return {"role": "assistant", "content": text, "tool_calls": [c.part() for c in calls]}


def result_message(call_id: str, text: str) -> ChatMessage:
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def well_formed(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """``messages`` without tool results that answer no preceding call, and without calls
    that got no result (an assistant message left with neither text nor calls goes too)."""
    answered = {m["tool_call_id"] for m in messages if m["role"] == "tool" and "tool_call_id" in m}
    mended: list[ChatMessage] = []
    open_calls: set[str] = set()
    for message in messages:
        if message["role"] == "tool":
            call_id = message.get("tool_call_id")
            if call_id in open_calls:
                open_calls.discard(call_id)
                mended.append(message)
            continue
        open_calls.clear()
        calls = message.get("tool_calls")
        if calls is None:
            mended.append(message)
            continue
        kept: list[ToolCallPart] = [c for c in calls if c["id"] in answered]
        open_calls = {c["id"] for c in kept}
        if kept:
            mended.append({**message, "tool_calls": kept})
        elif message["content"]:
            mended.append({"role": message["role"], "content": message["content"]})
    return mended
