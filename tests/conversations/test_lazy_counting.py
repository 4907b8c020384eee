"""The bound that lets most prompts skip the tokenizer: it never undercounts."""

from __future__ import annotations

import random

import pytest

from bot.conversations.tokens import TokenCounter
from bot.openai_api.chat import ChatMessage, ContentPart

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


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_PIECES, k=rng.randint(0, 40))) for _ in range(count)]


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
