"""The databases a run covers: a SQLite file in the run's directory, and a throwaway
PostgreSQL database created beside the one ``--postgres-url`` names and dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

SQLITE_URL = "sqlite+aiosqlite:///{workdir}/bench.db"


@asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh ``bench_<hex>`` database on the server of ``admin_url``, dropped on exit."""
    plain = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    await _execute(plain, f'CREATE DATABASE "{name}"')
    try:
        yield plain.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await _execute(plain, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
