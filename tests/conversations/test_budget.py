from __future__ import annotations

import time
from typing import Any

import pytest

from bot.conversations.budget import (
    DEFAULT_CONTEXT_TOKENS,
    ContextBudget,
    FittedPrompt,
    assumed_window,
    fit_history,
)
from bot.conversations.tokens import TRUNCATION_MARKER, ChatMessage, TokenCounter
from bot.errors import ModelContextTooLong

MODEL = "gpt-4o"
SYSTEM: ChatMessage = {"role": "system", "content": "You are a helpful Slack bot."}
NEWEST: ChatMessage = {"role": "user", "content": "And what about the last point?"}


class _RecordingCounter(TokenCounter):
    """Records every message it counts, to prove history is counted once at most."""

    def __init__(self) -> None:
        super().__init__()
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
    counted = counter.count_messages(MODEL, fitted.messages)
    if fitted.exact:
        assert fitted.prompt_tokens == counted
    else:  # everything fitted by a bound of it
        assert fitted.prompt_tokens >= counted
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
        ("llama3", DEFAULT_CONTEXT_TOKENS),
        ("my-azure-deployment", DEFAULT_CONTEXT_TOKENS),
    ],
)
def test_the_built_in_table_when_nothing_is_configured(model: str, expected: int) -> None:
    assert assumed_window(model, {}) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4.1-mini", 2_500),  # a bare number overrides the table, known names too
        ("gpt-4o", 128_000),  # a model's own entry wins over the bare number
        ("gpt-4o-mini", 128_000),  # entries are name prefixes, as in the built-in table
        ("llama3.1", 8_192),
        ("llama3.1:70b", 8_192),  # entries are name prefixes, the longest wins
        ("llama3.1-long", 32_768),
        ("meta-llama/Llama3.1-8B", 8_192),  # a gateway's provider/ prefix is looked through
        ("mistral-7b", 2_500),
    ],
)
def test_model_context_tokens_overrides_the_table(model: str, expected: int) -> None:
    configured = {"*": 2_500, "gpt-4o": 128_000, "llama3.1": 8_192, "llama3.1-long": 32_768}
    assert assumed_window(model, configured) == expected


def test_per_model_entries_leave_other_models_to_the_table() -> None:
    assert assumed_window("gpt-4.1", {"llama3.1": 8_192}) == 1_047_576
    assert assumed_window("acme-7b", {"llama3.1": 8_192}) == DEFAULT_CONTEXT_TOKENS


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
    counter.encoding_for(MODEL)  # loading it is not fitting
    history = _thread(300)
    for window in (400_000, 20_000):  # fits by the bound; by the exact count only
        started = time.perf_counter()
        fitted = fit_history(counter, MODEL, SYSTEM, history, NEWEST, ContextBudget(window, 4_000))
        assert time.perf_counter() - started < 0.5
        assert fitted.dropped == 0 and fitted.exact == (window == 20_000)


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


def test_a_token_ratio_sizes_the_prompt_in_the_servers_tokens() -> None:
    ours = ContextBudget(context_tokens=10_000, reserve_for_answer=2_000)
    theirs = ContextBudget(context_tokens=10_000, reserve_for_answer=2_000, token_ratio=1.6)

    assert theirs.reserve_for_answer == 2_000  # the answer bound is in the server's tokens
    assert theirs.prompt_limit == 5_000
    counter = TokenCounter()
    history = _thread(300)
    before = fit_history(counter, MODEL, SYSTEM, history, NEWEST, ours)
    after = fit_history(counter, MODEL, SYSTEM, history, NEWEST, theirs)
    assert after.dropped > before.dropped
    assert after.prompt_tokens <= 5_000


def test_history_max_tokens_caps_history_in_a_large_window() -> None:
    counter = TokenCounter()
    history = _thread(300)
    budget = ContextBudget.for_window(
        1_047_576, token_ratio=1.0, answer_max_tokens=4_096, history_limit=2_000
    )

    fitted = fit_history(counter, MODEL, SYSTEM, history, NEWEST, budget)

    kept = counter.count_messages(MODEL, fitted.messages[1:-1]) - 3  # without the priming
    assert 1_500 < kept <= 2_000
    assert fitted.history_capped and fitted.dropped > 0
    uncapped = fit_history(counter, MODEL, SYSTEM, history, NEWEST, ContextBudget(1_047_576, 4_096))
    assert uncapped.dropped == 0 and not uncapped.history_capped


def test_a_window_that_cuts_more_than_the_cap_is_not_the_caps_doing() -> None:
    budget = ContextBudget.for_window(
        3_000, token_ratio=1.0, answer_max_tokens=1_000, history_limit=16_000
    )
    fitted = fit_history(TokenCounter(), MODEL, SYSTEM, _thread(300), NEWEST, budget)
    assert fitted.dropped > 0 and not fitted.history_capped


def test_a_small_window_keeps_half_for_the_answer_at_most() -> None:
    small = ContextBudget.for_window(
        2_500, token_ratio=1.0, answer_max_tokens=4_096, history_limit=16_000
    )
    assert (small.reserve_for_answer, small.prompt_limit) == (1_250, 1_250)
    large = ContextBudget.for_window(
        128_000, token_ratio=1.0, answer_max_tokens=4_096, history_limit=16_000
    )
    assert large.reserve_for_answer == 4_096
