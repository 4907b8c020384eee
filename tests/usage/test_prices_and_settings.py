"""Prices (the built-in table, `MODEL_PRICES` over it) and the budget settings: clear errors for bad values."""

from __future__ import annotations

import pytest

from bot.config import Settings
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


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("USER_DAILY_TOKENS", "lots", "must be a whole number (0 = unlimited), got 'lots'"),
        ("USER_DAILY_IMAGES", "-2", "must be 0 or more, got '-2'"),
        ("WORKSPACE_MONTHLY_USD", "$50", "must be a number of US dollars (0 = unlimited)"),
        ("RETENTION_DAYS", "1.5", "must be a whole number of days (0 = keep everything)"),
        ("ADMIN_USERS", "U0ADMIN,dana", "user ids like U012AB3CD, got 'dana'"),
        ("BUDGET_EXEMPT_ADMINS", "maybe", "must be true or false"),
    ],
)
def test_budget_and_retention_settings_say_what_is_wrong(
    variable: str, value: str, says: str
) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "OPENAI_API_KEY": "k"}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**env, variable: value})
    assert caught.value.variable == variable
    assert says in str(caught.value)


def test_budget_settings_default_to_unlimited_and_admins_to_none() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "OPENAI_API_KEY": "k"}
    settings = Settings.from_env(env)
    assert (settings.user_daily_tokens, settings.workspace_monthly_usd) == (0, 0.0)
    assert (settings.admin_users, settings.budget_exempt_admins) == ((), False)
    assert (settings.model_prices, settings.retention_days) == ({}, 0)
    admins = Settings.from_env({**env, "ADMIN_USERS": " U0ONE, W0TWO ,"}).admin_users
    assert set(admins) == {"U0ONE", "W0TWO"}
