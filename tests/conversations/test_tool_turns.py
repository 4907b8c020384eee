"""``well_formed``: a request never carries a tool call without its result, or a result
without its call (OpenAI refuses both), whatever history fitting or a crash left."""

from __future__ import annotations

from bot.conversations.tool_turns import assistant_calls, result_message, well_formed
from bot.openai_api import ChatMessage, ToolCallRequest

CALL = ToolCallRequest("call_1", "generate_image", "{}")
OTHER = ToolCallRequest("call_2", "generate_image", "{}")
USER: ChatMessage = {"role": "user", "content": "draw"}


def test_complete_rounds_are_kept_as_they_are() -> None:
    messages = [USER, assistant_calls("", [CALL]), result_message("call_1", "posted")]
    assert well_formed(messages) == messages


def test_a_result_whose_call_was_fitted_away_is_left_out() -> None:
    assert well_formed([result_message("call_1", "posted"), USER]) == [USER]


def test_a_call_without_a_result_is_left_out_and_text_beside_it_kept() -> None:
    messages = [
        USER,
        assistant_calls("Drawing now.", [CALL, OTHER]),
        result_message("call_2", "posted"),
        USER,
    ]
    mended = well_formed(messages)
    assert mended[1]["tool_calls"] == [OTHER.part()]
    assert well_formed([USER, assistant_calls("Drawing.", [CALL]), USER]) == [
        USER,
        {"role": "assistant", "content": "Drawing."},
        USER,
    ]
