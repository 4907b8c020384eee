"""Prices: the built-in table, ``MODEL_PRICES`` over it, and clear errors for bad entries."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.usage.prices import Price, PriceTable, parse_model_prices


def test_model_prices_parse_tokens_and_per_image_entries() -> None:
    prices = parse_model_prices("MODEL_PRICES", "gpt-4o=2.5/10, llama3.1=0/0,gpt-image-1=0.05")
    assert prices == {
        "gpt-4o": Price(2.5, 10.0),
        "llama3.1": Price(0.0, 0.0),
        "gpt-image-1": Price(per_image=0.05),
    }


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("gpt-4o", "must be name=in/out"),
        ("gpt-4o=1/2/3", "must be name=in/out"),
        ("=1/2", "must be name=in/out"),
        ("gpt-4o=cheap/2", "'cheap' is not a number"),
        ("gpt-4o=-1/2", "0 or more"),
        ("gpt-4o=inf/2", "0 or more"),
    ],
)
def test_a_malformed_entry_is_named(value: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_model_prices("MODEL_PRICES", value)
    assert caught.value.variable == "MODEL_PRICES"
    assert says in str(caught.value)


def test_the_longest_matching_name_prices_a_model_and_overrides_win() -> None:
    table = PriceTable(parse_model_prices("MODEL_PRICES", "gpt-4o=3/12,llama3.1=0.1/0.2"))
    # 1M tokens in and out: the per-million prices themselves.
    assert (
        table.cost("gpt-4o-2024-08-06", prompt_tokens=10**6, completion_tokens=10**6, images=0)
        == 15
    )
    assert table.cost("gpt-4o-mini", prompt_tokens=10**6, completion_tokens=0, images=0) == 0.15
    assert table.cost("openai/GPT-4o", prompt_tokens=0, completion_tokens=10**6, images=0) == 12
    assert table.cost("llama3.1:8b", prompt_tokens=10**6, completion_tokens=10**6, images=0) == (
        pytest.approx(0.3)
    )
    assert table.cost("gpt-image-1", prompt_tokens=0, completion_tokens=0, images=3) == (
        pytest.approx(0.126)
    )
    assert table.cost("acme-llm-7b", prompt_tokens=10, completion_tokens=10, images=0) is None
