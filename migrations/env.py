"""Async Alembic environment: the URL comes from our settings or the caller, not the ini."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.advisory import advisory_key
from bot.store.db import is_sqlite
from bot.store.models import Base
from bot.store.sqlite_driver import OneTripDBAPI

target_metadata = Base.metadata
# Replicas started together on a fresh PostgreSQL all run ``migrate``: one upgrades, the others
# wait on this lock and then find the schema at head (instead of racing to create the tables).
_MIGRATION_LOCK = advisory_key("alembic upgrade")


def _url() -> str:
    url = context.config.attributes.get("database_url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        from bot.config import Settings

        url = Settings.from_env().database_url
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends; taken before Alembic reads the current revision.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        context.run_migrations()


async def _run_async() -> None:
    url = _url()
    # On SQLite, the bot's driver module: a database that cannot be opened has stopped its
    # driver thread before the error leaves (``sqlite_driver``), not while the process exits.
    driver = {"module": OneTripDBAPI()} if is_sqlite(url) else {}
    engine = create_async_engine(url, poolclass=pool.NullPool, hide_parameters=True, **driver)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def _run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())
