"""The schema version this code expects, and the one the database is at, read without Alembic:
the serving process never imports it (about 10 MB it would hold for good); ``python -m bot
run`` applies migrations in a child process first (see ``bot.__main__``)."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import read_only

SCHEMA_HEAD = "0009"
"""The newest migration in ``migrations/versions`` (a test keeps it equal to Alembic's head)."""


async def database_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at (None before the first); raises when the database
    cannot be reached."""
    async with read_only(engine).connect() as connection:
        if not await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
            return None
        revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        return None if revision is None else str(revision)
