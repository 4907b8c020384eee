"""The bound that lets most prompts skip the tokenizer: it never undercounts, a prompt that fits
by it loads no encoding, and one that does not gets exactly today's fit."""

from __future__ import annotations

import random
import threading

import pytest
import tiktoken

from bot.conversations.budget import ContextBudget, FittedPrompt, fit_history
from bot.conversations.tokens import REPLY_PRIMING_TOKENS, TokenCounter, load_encoding
from bot.openai_api.chat import ChatMessage, ContentPart

MODEL = "gpt-4o"
SYSTEM: ChatMessage = {"role": "system", "content": "You are a helpful Slack bot."}
NEWEST: ChatMessage = {"role": "user", "content": "And what about the last point?"}

_PIECES = [
    "the rollout ",
    "Déploiement ",
    "naïve café ",
    "日本語のテキスト",
    "中文字符",
    "한국어 ",
    "مرحبا ",
    "e\u0301\u0301",  # combining marks
    "👋",
    "👩‍👩‍👧‍👦",  # a ZWJ sequence
    "👍🏽",
    "🚀🚀🚀",
    "\U0001f9ea",
    "   ",
    "\n\n",
    "\t",
    "1234567890",
    "3.14159 ",
    "<|endoftext|>",
    "def f(x):\n    return x**2\n",
    "https://example.com/a?b=c ",
    "!!!???...",
    "\u200b",
    "\ufeff",
]


class _TodaysCounter(TokenCounter):
    """Makes the bound useless, so ``fit_history`` takes the exact path it always took."""

    def bound_message(self, message: ChatMessage) -> int:
        return 10**12


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_PIECES, k=rng.randint(0, 40))) for _ in range(count)]


def _thread(turns: int) -> list[ChatMessage]:
    return [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"turn {i}: " + "some words about the deployment plan 🚀 " * (1 + i % 7),
        }
        for i in range(turns)
    ]


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])  # o200k_base and cl100k_base
def test_the_bound_is_never_below_the_exact_count(model: str) -> None:
    counter = TokenCounter()
    image: ContentPart = {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
    for index, text in enumerate(_texts(seed=7, count=400)):
        messages: list[ChatMessage] = [
            {"role": "user", "content": text},
            {"role": "assistant", "content": text, "name": text[:9] or "bot"},
            {"role": "user", "content": [{"type": "text", "text": text}, image]},
        ]
        for message in messages:
            assert counter.bound_message(message) >= counter.count_message(model, message), index


def test_a_prompt_that_fits_by_the_bound_loads_no_encoding() -> None:
    load_encoding.cache_clear()
    counter = TokenCounter()
    history = _thread(40)

    fitted = fit_history(counter, MODEL, SYSTEM, history, NEWEST, ContextBudget(128_000, 4_096))

    assert load_encoding.cache_info().currsize == 0 and not counter.is_loaded(MODEL)
    assert fitted == FittedPrompt(
        [SYSTEM, *history, NEWEST], 0, fitted.prompt_tokens, history_capped=False, exact=False
    )
    assert fitted.prompt_tokens >= counter.count_messages(MODEL, fitted.messages)


# History: ~2,400 tokens, bounded by ~11,000. A 1,500 cap always needs the count; a 20,000 cap
# lets large windows fit by the bound.
@pytest.mark.parametrize("history_limit", [None, 1_500, 20_000])
def test_past_the_bound_the_fit_is_todays_for_every_window(history_limit: int | None) -> None:
    counter, todays = TokenCounter(), _TodaysCounter()
    history = _thread(60)
    used_the_bound = used_the_count = 0
    for window in range(1_000, 40_000, 500):
        budget = ContextBudget(window, 500, history_limit)
        fitted = fit_history(counter, MODEL, SYSTEM, history, NEWEST, budget)
        before = fit_history(todays, MODEL, SYSTEM, history, NEWEST, budget)

        assert (fitted.messages, fitted.dropped) == (before.messages, before.dropped), window
        assert fitted.history_capped == before.history_capped
        if fitted.exact:
            used_the_count += 1
            assert fitted == before
        else:
            used_the_bound += 1
            assert before.dropped == 0 and fitted.prompt_tokens >= before.prompt_tokens
    assert used_the_count and bool(used_the_bound) == (history_limit != 1_500)


def test_uncounted_turns_are_bounded_or_counted_and_stored_counts_are_trusted() -> None:
    counter = TokenCounter()
    history = _thread(60)
    exact = [counter.count_message(MODEL, m) for m in history]
    some = [None if i % 3 else count for i, count in enumerate(exact)]
    tight = ContextBudget(2_000, 500)  # past the bound: the exact path

    assert fit_history(counter, MODEL, SYSTEM, history, NEWEST, tight, some) == fit_history(
        counter, MODEL, SYSTEM, history, NEWEST, tight, exact
    )
    # The bound of all 60 turns does not fit 10,000 tokens; with their stored counts it does.
    roomy = ContextBudget(10_500, 500)
    without = fit_history(counter, MODEL, SYSTEM, history, NEWEST, roomy, [None] * 60)
    stored = fit_history(counter, MODEL, SYSTEM, history, NEWEST, roomy, exact)
    assert without.exact and not stored.exact
    assert stored.messages == without.messages == [SYSTEM, *history, NEWEST]
    assert (
        stored.prompt_tokens
        == sum(exact)
        + counter.bound_message(SYSTEM)
        + counter.bound_message(NEWEST)
        + REPLY_PRIMING_TOKENS
    )


async def test_an_encoding_is_loaded_off_the_event_loop_before_an_exact_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded_on: list[str] = []
    encoding_for = TokenCounter.encoding_for

    def recording(self: TokenCounter, model: str) -> tiktoken.Encoding:
        if not self.is_loaded(model):
            loaded_on.append(threading.current_thread().name)
        return encoding_for(self, model)

    monkeypatch.setattr(TokenCounter, "encoding_for", recording)
    counter = TokenCounter()
    await counter.load(MODEL)
    await counter.load(MODEL)  # loaded once
    assert counter.count_message(MODEL, NEWEST) > 0
    assert len(loaded_on) == 1 and loaded_on[0] != threading.main_thread().name
