"""The bot's SQLite engine makes one trip to aiosqlite's thread per statement, and what a
statement returns (rows, row counts, generated keys, errors) is what the stock adapter gives."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import create_engine

_metadata = MetaData()
_notes = Table(
    "notes",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("body", String, nullable=False, unique=True),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(_metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls queued on aiosqlite's thread, by the name of what they run."""
    queued: list[str] = []
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        queued.append(getattr(fn, "__name__", type(fn).__name__))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return queued


async def test_each_statement_is_one_trip_to_the_driver_thread(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with engine.connect() as connection:
        trips.clear()
        await connection.execute(insert(_notes).values(body="one"))
        await connection.execute(insert(_notes), [{"body": "two"}, {"body": "three"}])
        rows = (await connection.execute(select(_notes.c.body).order_by(_notes.c.id))).all()
        # BEGIN IMMEDIATE and the three statements: no trip to open or close a cursor.
        assert trips == ["on_driver_thread"] * 4
        await connection.commit()
    assert [row.body for row in rows] == ["one", "two", "three"]


async def test_rows_counts_and_keys_come_back_as_the_stock_adapter_gives_them(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(insert(_notes).values(body="first"))
        assert inserted.inserted_primary_key == (1,)  # from the cursor's lastrowid
        returned = await connection.execute(
            insert(_notes).returning(_notes.c.id), [{"body": "a"}, {"body": "b"}]
        )
        assert sorted(returned.scalars().all()) == [2, 3]
        changed = await connection.execute(
            update(_notes).where(_notes.c.id > 1).values(body=_notes.c.body + "!")
        )
        assert changed.rowcount == 2
        result = await connection.execute(select(_notes.c.body).order_by(_notes.c.id))
        assert result.fetchmany(2) == [("first",), ("a!",)]
        assert result.fetchall() == [("b!",)]
        nothing = await connection.execute(text("SELECT body FROM notes WHERE id = 99"))
        assert nothing.first() is None


async def test_a_refused_statement_raises_as_sqlalchemy_names_it_and_rolls_back(
    engine: AsyncEngine,
) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(_notes).values(body="once"))
            await connection.execute(insert(_notes).values(body="once"))
    async with engine.connect() as connection:
        assert (await connection.execute(select(_notes.c.body))).all() == []


def _driver_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("(_connection_worker_thread)")]


async def test_a_database_that_cannot_be_opened_leaves_no_driver_thread_running(
    tmp_path: Path,
) -> None:
    # A driver thread still stopping when the loop closes dies with a traceback.
    missing = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    before = _driver_threads()
    try:
        with pytest.raises(OperationalError):
            async with missing.connect():
                pass
        assert [t for t in _driver_threads() if t not in before] == []
    finally:
        await missing.dispose()
