"""Budgets, prices and how long stored text is kept."""

from __future__ import annotations

from bot.config.parsers import days, flag, tokens_or_images, usd
from bot.config.variable import Variable
from bot.usage.prices import parse_model_prices

USAGE: tuple[Variable, ...] = (
    Variable(
        "USER_DAILY_TOKENS",
        tokens_or_images,
        "0",
        "Model tokens (in + out) one user may use per UTC day; then a notice until midnight "
        "UTC. 0 = unlimited.",
    ),
    Variable(
        "USER_DAILY_IMAGES",
        tokens_or_images,
        "0",
        "Images one user may have `/imagine` make per UTC day. 0 = unlimited.",
    ),
    Variable(
        "WORKSPACE_MONTHLY_TOKENS",
        tokens_or_images,
        "0",
        "Model tokens one workspace may use per calendar month (UTC). 0 = unlimited.",
    ),
    Variable(
        "WORKSPACE_MONTHLY_USD",
        usd,
        "0",
        "Estimated USD (see `MODEL_PRICES`) one workspace may spend per calendar month (UTC). "
        "0 = unlimited.",
    ),
    Variable(
        "BUDGET_EXEMPT_ADMINS",
        flag,
        "false",
        "`true`: the users of `ADMIN_USERS` are not held to the budgets above.",
    ),
    Variable(
        "MODEL_PRICES",
        parse_model_prices,
        "",
        "Prices for the cost estimate, over the built-in ones for OpenAI models: `name=in/out` "
        "in USD per 1M tokens, or `name=usd` per image, comma-separated "
        "(`gpt-4o=2.5/10,llama3.1=0/0,gpt-image-1=0.04`). Unpriced models show tokens only.",
        unset={},
    ),
    Variable(
        "RETENTION_DAYS",
        days,
        "0",
        "Days to keep message text (with attached files' text), recorded deliveries, image "
        "prompts, thread summaries, feedback and whom usage was for; older ones are purged "
        "hourly. 0 = keep.",
    ),
)
