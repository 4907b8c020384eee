"""Issue 11, defects 5 and 10: what the engine lets out of an error, and SQLite's locks."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.store.db import create_engine, create_session_factory, read_only, read_only_session
from tests.sqlite_lock import write_lock_held

MARKER = "my secret diary entry"


async def test_database_errors_do_not_carry_statement_parameters(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as raised:
                await connection.execute(
                    text("INSERT INTO no_such_table (note) VALUES (:note)"), {"note": MARKER}
                )
    finally:
        await engine.dispose()
    assert "no_such_table" in str(raised.value)  # still says what failed
    assert MARKER not in str(raised.value)


async def test_read_only_work_reads_while_another_connection_holds_the_write_lock(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    try:
        with write_lock_held(sqlite_url):
            async with read_only_session(create_session_factory(engine)) as session:
                assert await session.scalar(text("SELECT count(*) FROM channel_settings")) == 0
            async with read_only(engine).connect() as connection:
                assert await connection.scalar(text("SELECT count(*) FROM inbox")) == 0
    finally:
        await engine.dispose()


async def test_sqlite_syncs_every_commit_to_disk(sqlite_url: str) -> None:
    """WAL with ``synchronous=FULL``: an acknowledged inbox row survives an OS crash."""
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA synchronous")) == 2  # FULL
    finally:
        await engine.dispose()
