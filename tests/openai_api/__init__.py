"""Tests of the OpenAI client; ``connected_client`` points a real client at a fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.openai_api import OpenAIClient, RetryPolicy
from tests.fakes.openai import FakeOpenAI

FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, jitter=False)


@asynccontextmanager
async def connected_client(fake: FakeOpenAI, **options: Any) -> AsyncIterator[OpenAIClient]:
    """A client for ``fake`` with its key and quick retries unless ``options`` say otherwise."""
    options.setdefault("retry", FAST_RETRY)
    client = OpenAIClient(fake.base_url, options.pop("api_key", fake.api_key), **options)
    try:
        yield client
    finally:
        await client.aclose()
