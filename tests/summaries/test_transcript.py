"""The thread as the model reads it: the first message and the newest that fit, no I/O."""

from __future__ import annotations

from bot.conversations.budget import ContextBudget
from bot.conversations.catch_up import ThreadMessage
from bot.conversations.tokens import TokenCounter
from bot.summaries.transcript import summary_prompt

MODEL = "gpt-4o-mini"


def _said(i: int, text: str, *, bot: bool = False) -> ThreadMessage:
    return ThreadMessage(f"1.{i}", text, None if bot else f"U{i}", None if bot else f"p{i}", bot)


def test_a_long_thread_keeps_its_first_and_newest_messages_within_the_window() -> None:
    counter = TokenCounter()
    thread = [_said(0, "What do we ship?")] + [_said(i, f"point {i} " * 20) for i in range(1, 400)]
    thread.append(_said(400, "Ship the beta.", bot=True))
    budget = ContextBudget(3000, 1000)
    messages, left_out = summary_prompt(counter, MODEL, thread, budget)

    assert counter.count_messages(MODEL, messages) <= budget.prompt_limit
    transcript = messages[1]["content"]
    assert isinstance(transcript, str)
    assert left_out > 300 and f"{left_out} messages after the first were left out" in transcript
    lines = transcript.split("\n\n")
    assert lines[1] == "p0: What do we ship?"
    assert lines[-1] == "AI Assistant (this bot): Ship the beta."
    assert lines[-2].startswith("p399: point 399")


def test_a_short_thread_is_sent_whole() -> None:
    thread = [_said(0, "Is the build red?"), _said(1, "It is green.")]
    messages, left_out = summary_prompt(TokenCounter(), MODEL, thread, ContextBudget(8000, 1000))
    assert left_out == 0
    assert messages[1]["content"] == (
        "Summarize this Slack thread of 2 messages.\n\np0: Is the build red?\n\np1: It is green."
    )
