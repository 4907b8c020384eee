"""``model_windows``: what one replica learns from the server reaches the others through the
database, only the server's own figures are kept, and a changed setting outranks a lesson."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.conversations.windows import (
    MAX_COMPLETION_TOKENS,
    MAX_TOKENS,
    ModelLimits,
    ModelWindows,
    server_identity,
)
from bot.errors import ModelContextTooLong
from bot.store.db import create_engine, create_session_factory
from bot.store.model_windows_repo import ModelWindowRepository
from bot.store.models import ModelWindow

SERVER = "http://vllm:8000/v1"
MODEL = "llama3.1"


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(database_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


def _too_long(window: int | None, prompt_tokens: int | None) -> ModelContextTooLong:
    return ModelContextTooLong("too long", window=window, prompt_tokens=prompt_tokens)


async def test_record_sets_only_what_it_is_given(session: AsyncSession) -> None:
    repo = ModelWindowRepository(session)
    await repo.record(SERVER, MODEL, context_tokens=8_192, assumed_tokens=128_000)
    await repo.record(SERVER, MODEL, token_ratio=1.4)
    await repo.record(SERVER, MODEL, answer_bound=MAX_TOKENS)
    await repo.record("http://other:8000/v1", MODEL, context_tokens=4_096)
    await repo.record(SERVER, MODEL)  # nothing learned: nothing written

    row = await repo.get(SERVER, MODEL)
    assert row is not None
    assert (row.context_tokens, row.assumed_tokens, row.token_ratio, row.answer_bound) == (
        8_192,
        128_000,
        1.4,
        MAX_TOKENS,
    )
    rows = (await session.execute(select(ModelWindow.server))).scalars().all()
    assert sorted(rows) == ["http://other:8000/v1", SERVER]


async def test_a_lesson_reaches_another_replica_after_its_refresh(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = _Clock()
    learner = ModelWindows(sessions, server=SERVER, configured={}, clock=clock)
    other = ModelWindows(sessions, server=SERVER, configured={}, clock=clock, refresh_seconds=60)
    assumed = await other.limits(MODEL)  # read (and cached) before the lesson
    assert assumed == ModelLimits(128_000, 128_000)

    before = await learner.limits(MODEL)
    refit = await learner.learn(MODEL, before, _too_long(8_192, 3_000), counted=2_000)

    assert refit.window == 8_192 and refit.token_ratio == pytest.approx(1.5 * 1.02)
    assert await other.limits(MODEL) == assumed  # still within its refresh time
    clock.now += 61
    assert await other.limits(MODEL) == refit
    fresh = ModelWindows(sessions, server=SERVER, configured={})
    assert await fresh.limits(MODEL) == refit
    elsewhere = ModelWindows(sessions, server="http://ollama:11434/v1", configured={})
    assert await elsewhere.limits(MODEL) == assumed  # another server's model is another model


async def test_a_guess_is_used_for_the_refit_but_not_remembered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    windows = ModelWindows(sessions, server=SERVER, configured={"*": 8_192})
    limits = await windows.limits(MODEL)

    first = await windows.learn(MODEL, limits, _too_long(None, None), counted=6_000)
    second = await windows.learn(MODEL, first, _too_long(None, None), counted=5_000)

    assert (first.window, first.token_ratio) == (8_192, 1.25)
    assert second.token_ratio == pytest.approx(1.5625)  # each refit shrinks further
    assert await windows.limits(MODEL) == limits
    assert (
        await ModelWindows(sessions, server=SERVER, configured={"*": 8_192}).limits(MODEL) == limits
    )


async def test_a_changed_setting_outranks_the_learned_window_but_keeps_the_ratio(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    windows = ModelWindows(sessions, server=SERVER, configured={})
    await windows.learn(MODEL, await windows.limits(MODEL), _too_long(4_096, 2_000), 1_000)

    reconfigured = ModelWindows(sessions, server=SERVER, configured={MODEL: 32_768})
    limits = await reconfigured.limits(MODEL)

    assert (limits.window, limits.assumed) == (32_768, 32_768)
    assert limits.token_ratio == pytest.approx(2.04)


async def test_max_tokens_is_remembered_for_the_model(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    windows = ModelWindows(sessions, server=SERVER, configured={})
    limits = await windows.limits(MODEL)
    assert limits.answer_bound == MAX_COMPLETION_TOKENS

    await windows.use_max_tokens(MODEL, limits)

    fresh = ModelWindows(sessions, server=SERVER, configured={})
    assert (await fresh.limits(MODEL)).answer_bound == MAX_TOKENS
    assert (await fresh.limits("gpt-4o")).answer_bound == MAX_COMPLETION_TOKENS


@pytest.mark.parametrize(
    ("base_url", "identity"),
    [
        ("https://user:sk-secret@Gateway.example.com/v1/", "https://gateway.example.com/v1"),
        (
            "https://res.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-10-21",
            "https://res.openai.azure.com/openai/deployments/gpt-4o",
        ),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ],
)
def test_the_server_is_named_without_credentials_or_query(base_url: str, identity: str) -> None:
    assert server_identity(base_url) == identity


async def test_reading_the_limits_never_waits_for_a_writer(database_url: str) -> None:
    """A read of the learned limits begins as a reader: on SQLite it does not queue for the
    write lock that an answer's transaction holds (under WAL readers never need it)."""
    engine = create_engine(database_url)
    try:
        sessions = create_session_factory(engine)
        windows = ModelWindows(sessions, server=SERVER, configured={})
        async with sessions.begin() as writing:
            await ModelWindowRepository(writing).record(SERVER, MODEL, token_ratio=1.4)
            async with asyncio.timeout(5):  # a writer would wait for the lock (30 s)
                limits = await windows.limits(MODEL)
        assert limits.token_ratio == 1.0  # what was committed when it read: nothing yet
    finally:
        await engine.dispose()
