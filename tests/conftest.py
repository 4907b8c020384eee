"""Fixtures shared by the whole suite: fake Slack and fake OpenAI on loopback, databases
migrated to head (SQLite always, PostgreSQL when TEST_POSTGRES_URL is set), and the real bot
served over HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest

from bot.app import BotServer
from bot.config import Settings
from bot.migrate import upgrade_to_head
from bot.usage.ledger import Clock, utc_now
from tests.fakes.bot_env import SIGNING_SECRET, bot_env
from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import signed_headers

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as openai:
        yield openai


def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import asyncio

    admin = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = f"bot_test_{uuid.uuid4().hex[:12]}"

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each kind; PostgreSQL only when TEST_POSTGRES_URL is given."""
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("TEST_POSTGRES_URL not set")
        for url in _postgres_database():
            upgrade_to_head(url)
            yield url
        return
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    upgrade_to_head(url)
    yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    upgrade_to_head(url)
    return url


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> SettingsFactory:
    def make(**overrides: str) -> Settings:
        env = bot_env(fake_slack, fake_openai, sqlite_url, OPENAI_MAX_RETRY_SECONDS="5")
        return Settings.from_env({**env, **overrides})

    return make


class RunningBot:
    """The real bot in HTTP mode on an ephemeral port, and a way to send it signed requests."""

    def __init__(self, server: BotServer) -> None:
        self.server = server
        self.url = f"http://127.0.0.1:{server.port}"
        self.http = httpx.AsyncClient(base_url=self.url, timeout=10)

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/json",
        secret: str = SIGNING_SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        signed = signed_headers(secret, body, content_type=content_type)
        return await self.http.post(
            "/slack/events", content=body, headers={**signed, **(headers or {})}
        )

    async def background_done(self) -> None:
        """Wait for the work that follows an acknowledgement (an /imagine, a thank-you)."""
        await self.server.services.tasks.drain(time.monotonic() + 5)

    async def close(self) -> None:
        await self.http.aclose()
        await self.server.stop()


async def start_bot(settings: Settings, clock: Clock = utc_now) -> RunningBot:
    """The bot on an ephemeral port; ``clock`` is its now for budgets, usage and retention."""
    server = BotServer(settings, clock)
    await server.start(host="127.0.0.1", port=0)
    return RunningBot(server)


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[RunningBot]:
    """``async with running_bot(make_settings(...)) as bot``: started, and stopped whatever the
    test did."""
    bot = await start_bot(settings)
    try:
        yield bot
    finally:
        await bot.close()


@pytest.fixture
async def bot(make_settings: SettingsFactory) -> AsyncIterator[RunningBot]:
    running = await start_bot(make_settings())
    yield running
    await running.close()
