from __future__ import annotations

import time
from typing import Any

import pytest

from bot.conversations.budget import (
    ContextBudget,
    FittedPrompt,
    context_window_for_model,
    fit_history,
    tighter,
)
from bot.conversations.tokens import TRUNCATION_MARKER, ChatMessage, TokenCounter
from bot.errors import ModelContextTooLong

MODEL = "gpt-4o"
SYSTEM: ChatMessage = {"role": "system", "content": "You are a helpful Slack bot."}
NEWEST: ChatMessage = {"role": "user", "content": "And what about the last point?"}


class _RecordingCounter(TokenCounter):
    """Records every message it counts, to prove history is counted once at most."""

    def __init__(self) -> None:
        self.counted: list[ChatMessage] = []

    def count_message(self, model: str, message: ChatMessage) -> int:
        self.counted.append(message)
        return super().count_message(model, message)


def _thread(turns: int) -> list[ChatMessage]:
    return [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"turn {i}: " + "some words about the deployment plan " * (1 + i % 7),
        }
        for i in range(turns)
    ]


def _assert_fits_tightly(
    counter: TokenCounter,
    fitted: FittedPrompt,
    history: list[ChatMessage],
    budget: ContextBudget,
) -> None:
    assert fitted.messages[0] is SYSTEM
    assert fitted.messages[-1] is NEWEST
    assert fitted.messages[1:-1] == history[fitted.dropped :]
    assert fitted.prompt_tokens == counter.count_messages(MODEL, fitted.messages)
    assert fitted.prompt_tokens <= budget.prompt_limit
    if fitted.dropped:
        one_more = [SYSTEM, *history[fitted.dropped - 1 :], NEWEST]
        assert counter.count_messages(MODEL, one_more) > budget.prompt_limit


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", 128_000),
        ("gpt-4o-mini", 128_000),
        ("chatgpt-4o-latest", 128_000),
        ("gpt-4.1", 1_047_576),
        ("gpt-4.1-mini-2025-04-14", 1_047_576),
        ("gpt-5", 400_000),
        ("gpt-5-nano", 400_000),
        ("o1", 200_000),
        ("o3", 200_000),
        ("o4-mini", 200_000),
        ("gpt-4-turbo", 128_000),
        ("gpt-4", 8_192),
        ("gpt-4-0613", 8_192),
        ("gpt-3.5-turbo", 16_385),
        ("openai/gpt-4o", 128_000),
        ("llama3", 4_321),
        ("my-azure-deployment", 4_321),
    ],
)
def test_context_window_for_model(model: str, expected: int) -> None:
    assert context_window_for_model(model, default=4_321) == expected


@pytest.mark.parametrize(("context", "reserve"), [(1_000, 1_000), (1_000, 2_000), (1_000, -1)])
def test_context_budget_rejects_no_room_for_a_prompt(context: int, reserve: int) -> None:
    with pytest.raises(ValueError):
        ContextBudget(context, reserve)


def test_300_turns_keep_the_newest_and_drop_the_oldest() -> None:
    counter = _RecordingCounter()
    history = _thread(300)
    budget = ContextBudget(context_tokens=4_000, reserve_for_answer=1_000)

    fitted = fit_history(counter, MODEL, SYSTEM, history, NEWEST, budget)

    assert 0 < fitted.dropped < 300
    _assert_fits_tightly(counter, fitted, history, budget)


def test_history_is_counted_at_most_once_and_not_at_all_when_counts_are_given() -> None:
    counter = _RecordingCounter()
    history = _thread(300)
    budget = ContextBudget(context_tokens=4_000, reserve_for_answer=1_000)

    fitted = fit_history(counter, MODEL, SYSTEM, history, NEWEST, budget)
    counted_turns = [m for m in counter.counted if m is not SYSTEM and m is not NEWEST]
    assert len(counted_turns) == len({id(m) for m in counted_turns}) <= 300 - fitted.dropped + 1

    stored_counts = [TokenCounter().count_message(MODEL, m) for m in history]
    counter.counted.clear()
    from_store = fit_history(counter, MODEL, SYSTEM, history, NEWEST, budget, stored_counts)
    assert counter.counted == [SYSTEM, NEWEST]
    assert from_store == fitted


def test_300_turns_fit_quickly() -> None:
    """A coarse guard (the real budget is 50 ms, measured by the benchmark script)."""
    counter = TokenCounter()
    counter.preload([MODEL])
    history = _thread(300)
    started = time.perf_counter()
    fit_history(counter, MODEL, SYSTEM, history, NEWEST, ContextBudget(400_000, 4_000))
    assert time.perf_counter() - started < 0.5


def test_short_history_is_kept_whole() -> None:
    counter = TokenCounter()
    history = _thread(6)
    budget = ContextBudget(context_tokens=128_000, reserve_for_answer=4_000)

    fitted = fit_history(counter, MODEL, SYSTEM, history, NEWEST, budget)

    assert fitted.dropped == 0
    assert fitted.messages == [SYSTEM, *history, NEWEST]
    _assert_fits_tightly(counter, fitted, history, budget)


def test_stored_counts_must_match_history() -> None:
    with pytest.raises(ValueError):
        fit_history(
            TokenCounter(), MODEL, SYSTEM, _thread(3), NEWEST, ContextBudget(1_000, 100), [1, 2]
        )


def test_oversized_newest_turn_is_cut_in_the_middle() -> None:
    counter = TokenCounter()
    newest = {"role": "user", "content": "Here is my log:\n" + "ERROR x\n" * 3_000 + "Why?"}
    budget = ContextBudget(context_tokens=1_500, reserve_for_answer=500)

    fitted = fit_history(counter, MODEL, SYSTEM, _thread(10), newest, budget)

    assert fitted.dropped == 10
    assert fitted.messages[0] is SYSTEM
    text = fitted.messages[1]["content"]
    assert text.startswith("Here is my log:\n")
    assert text.endswith("Why?")
    assert TRUNCATION_MARKER in text
    assert fitted.prompt_tokens == counter.count_messages(MODEL, fitted.messages)
    assert budget.prompt_limit - 5 <= fitted.prompt_tokens <= budget.prompt_limit
    assert newest["content"].endswith("Why?") and len(newest["content"]) > len(text)


def test_oversized_newest_turn_keeps_its_images() -> None:
    counter = TokenCounter()
    image: dict[str, Any] = {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
    newest = {
        "role": "user",
        "content": [{"type": "text", "text": "look " * 5_000 + "at this"}, image],
    }
    budget = ContextBudget(context_tokens=2_000, reserve_for_answer=500)

    fitted = fit_history(counter, MODEL, SYSTEM, [], newest, budget)

    text_part, image_part = fitted.messages[1]["content"]
    assert image_part == image
    assert text_part["text"].endswith("at this")
    assert fitted.prompt_tokens == counter.count_messages(MODEL, fitted.messages)
    assert fitted.prompt_tokens <= budget.prompt_limit


def test_system_prompt_that_fills_the_window_is_an_error() -> None:
    system = {"role": "system", "content": "rule " * 2_000}
    with pytest.raises(ModelContextTooLong):
        fit_history(TokenCounter(), MODEL, system, [], NEWEST, ContextBudget(1_000, 100))


def test_tighter_shrinks_the_prompt_and_keeps_the_reserve() -> None:
    budget = ContextBudget(context_tokens=10_000, reserve_for_answer=2_000)

    smaller = tighter(budget)

    assert smaller.reserve_for_answer == 2_000
    assert smaller.prompt_limit == 6_000
    assert tighter(budget, factor=0.5).prompt_limit == 4_000
    counter = TokenCounter()
    history = _thread(300)
    before = fit_history(counter, MODEL, SYSTEM, history, NEWEST, budget)
    after = fit_history(counter, MODEL, SYSTEM, history, NEWEST, smaller)
    assert after.dropped > before.dropped


@pytest.mark.parametrize("factor", [0, 1, 1.5, -0.5])
def test_tighter_rejects_factors_that_do_not_shrink(factor: float) -> None:
    with pytest.raises(ValueError):
        tighter(ContextBudget(10_000, 2_000), factor)
