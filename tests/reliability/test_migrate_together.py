"""Issue 11, defect 8: replicas starting together on a fresh PostgreSQL all migrate it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.migrate import head_revision
from bot.store.schema import database_revision
from tests.conftest import POSTGRES_URL, _postgres_database
from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack
from tests.reliability.bot_process import bot_env

pytestmark = pytest.mark.postgres

REPLICAS = 3


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database: no tables, no alembic_version."""
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL not set")
    yield from _postgres_database()


async def _migrate(env: dict[str, str], workdir: Path) -> tuple[int, bytes]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output


async def test_three_migrate_processes_at_once_on_a_fresh_database_all_succeed(
    fresh_postgres_url: str, fake_slack: FakeSlack, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    env = bot_env(fake_slack, fake_openai, fresh_postgres_url)
    results = await asyncio.gather(*(_migrate(env, tmp_path) for _ in range(REPLICAS)))

    for returncode, output in results:
        assert returncode == 0, output.decode(errors="replace")
    engine = create_async_engine(fresh_postgres_url)
    try:
        assert await database_revision(engine) == head_revision()
    finally:
        await engine.dispose()
