"""Applying Alembic migrations from code (``run`` does it before serving)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import read_only

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def head_revision() -> str | None:
    """The newest migration this code ships (read from the scripts, no database needed)."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def database_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at; raises when the database cannot be reached."""
    async with read_only(engine).connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
