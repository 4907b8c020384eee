"""Estimated cost: a small built-in price table for OpenAI's chat and image models, which
``MODEL_PRICES`` extends or overrides. Models priced nowhere show tokens only (cost ``None``).

``MODEL_PRICES`` is ``name=in/out`` in USD per 1M tokens (``gpt-4o=2.5/10``), or ``name=usd``
per image for image models (``gpt-image-1=0.04``), comma-separated. A name also prices the
models it prefixes (``gpt-4o`` covers ``gpt-4o-2024-08-06``); the longest match wins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bot.errors import ConfigError

_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Price:
    input_per_million: float = 0.0
    output_per_million: float = 0.0
    per_image: float = 0.0

    def cost(self, *, prompt_tokens: int, completion_tokens: int, images: int) -> float:
        return (
            prompt_tokens * self.input_per_million / _MILLION
            + completion_tokens * self.output_per_million / _MILLION
            + images * self.per_image
        )


BUILT_IN_PRICES: Mapping[str, Price] = {
    # Chat models, USD per 1M input / output tokens (OpenAI's list prices, standard tier).
    "gpt-5": Price(1.25, 10.0),
    "gpt-5-mini": Price(0.25, 2.0),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.0, 8.0),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.0),
    "gpt-4o-mini": Price(0.15, 0.60),
    "o3": Price(2.0, 8.0),
    "o4-mini": Price(1.10, 4.40),
    # Image models, USD per image (1024x1024, medium quality).
    "gpt-image-1": Price(per_image=0.042),
    "gpt-image-1-mini": Price(per_image=0.011),
    # Moderation is free.
    "omni-moderation": Price(),
}


class PriceTable:
    def __init__(self, overrides: Mapping[str, Price] | None = None) -> None:
        self._prices = {**BUILT_IN_PRICES, **(overrides or {})}

    def price_of(self, model: str) -> Price | None:
        name = model.rsplit("/", 1)[-1].strip().lower()  # a gateway's ``openai/`` prefix
        matches = [prefix for prefix in self._prices if name.startswith(prefix)]
        return self._prices[max(matches, key=len)] if matches else None

    def cost(
        self, model: str, *, prompt_tokens: int, completion_tokens: int, images: int
    ) -> float | None:
        """Estimated USD, or None when the model is priced nowhere."""
        price = self.price_of(model)
        if price is None:
            return None
        return price.cost(
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, images=images
        )


def parse_model_prices(name: str, value: str) -> Mapping[str, Price]:
    """The ``MODEL_PRICES`` setting; a malformed entry is named in the error."""
    prices: dict[str, Price] = {}
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        model, sep, figures = entry.partition("=")
        model = model.strip().lower()
        numbers = [_amount(name, entry, part) for part in figures.split("/")] if sep else []
        if not model or len(numbers) not in (1, 2):
            raise ConfigError(
                name,
                f"entry {entry!r} must be name=in/out (USD per 1M tokens) or name=usd "
                "(per image), e.g. gpt-4o=2.5/10,gpt-image-1=0.04",
            )
        prices[model] = Price(*numbers) if len(numbers) == 2 else Price(per_image=numbers[0])
    return prices


def _amount(name: str, entry: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(name, f"entry {entry!r}: {text.strip()!r} is not a number") from None
    if number < 0 or not math.isfinite(number):
        raise ConfigError(name, f"entry {entry!r}: a price must be a number of USD, 0 or more")
    return number
