"""Issue 11, defect 5: what the engine lets out of an error."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.store.db import create_engine

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
