"""Applying Alembic migrations from code (``python -m bot migrate``, which ``run`` starts as a
child process before serving; see ``bot.store.schema`` for why)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

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
